package io.keybrake.core.phone;

import java.util.Objects;

/**
 * A parsed E.164 destination. Immutable and thread-safe.
 *
 * @param e164 the number, {@code "+"} and digits only (no channel prefix)
 * @param regionCode ISO 3166 region from libphonenumber, {@code "ZZ"} when unknown
 * @param premiumRate whether libphonenumber classifies the number as premium rate
 * @param channel SMS/voice or WhatsApp
 */
public record PhoneDestination(
    String e164, String regionCode, boolean premiumRate, Channel channel) {
  public PhoneDestination {
    Objects.requireNonNull(e164);
    Objects.requireNonNull(regionCode);
    Objects.requireNonNull(channel);
  }

  /** The address with the last four digits masked, e.g. {@code "whatsapp:+1415555****"}. */
  public String masked() {
    return channel.prefix() + mask(e164);
  }

  /** {@code s} with its last four characters (or all but the first, if shorter) replaced. */
  static String mask(String s) {
    int keep = Math.max(Math.min(1, s.length()), s.length() - 4);
    return s.substring(0, keep) + "*".repeat(s.length() - keep);
  }

  @Override
  public String toString() {
    return "PhoneDestination[" + masked() + ", " + regionCode + "]";
  }
}
