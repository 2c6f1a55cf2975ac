package io.keybrake.core.destination;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.phone.PhoneDestination;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where a call sends something: a phone number or an email address. Immutable. */
public sealed interface Destination {
  /** The destination with its identifying tail masked, safe for logs and refusal messages. */
  String masked();

  /** A phone number (SMS, voice or WhatsApp). */
  record Phone(PhoneDestination number) implements Destination {
    public Phone {
      Objects.requireNonNull(number);
    }

    @Override
    public String masked() {
      return number.masked();
    }
  }

  /** An email address: {@code local@domain}, the domain in lower case. */
  record Email(String address) implements Destination {
    private static final Pattern ANGLE = Pattern.compile("^[^<>]*<([^<>]+)>$");

    public Email {
      Objects.requireNonNull(address);
    }

    /**
     * Reads a recipient as Resend takes it: {@code a@b.com} or {@code Name <a@b.com>}. Lists in one
     * string, whitespace inside the address, or not exactly one {@code '@'} are refused.
     *
     * @throws RequestRejected ({@code invalid_destination})
     */
    public static Email parse(String raw) throws RequestRejected {
      String s = raw == null ? "" : raw.trim();
      Matcher angle = ANGLE.matcher(s);
      if (angle.matches()) {
        s = angle.group(1).trim();
      }
      int at = s.indexOf('@');
      boolean ok =
          at > 0
              && at == s.lastIndexOf('@')
              && at < s.length() - 1
              && s.chars().noneMatch(c -> c <= ' ' || c == ',' || c == ';' || c == '<' || c == '>');
      if (!ok) {
        throw new RequestRejected(
            RefusalCode.INVALID_DESTINATION,
            "recipient " + maskText(s) + " is not a single email address");
      }
      return new Email(s.substring(0, at) + "@" + s.substring(at + 1).toLowerCase(Locale.ROOT));
    }

    /** The part after {@code '@'}. */
    public String domain() {
      return address.substring(address.lastIndexOf('@') + 1);
    }

    @Override
    public String masked() {
      int at = address.lastIndexOf('@');
      if (at <= 0) {
        return maskText(address);
      }
      return address.charAt(0) + "***" + address.substring(at);
    }

    private static String maskText(String s) {
      return s.isEmpty() ? "''" : s.charAt(0) + "***";
    }
  }
}
