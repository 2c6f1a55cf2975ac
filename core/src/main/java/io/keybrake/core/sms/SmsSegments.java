package io.keybrake.core.sms;

/**
 * Counts SMS segments the way carriers bill them (3GPP TS 23.038 / 23.040). GSM-7: basic characters
 * are one septet, extension-table characters two; up to 160 septets is one segment, else 153 per
 * segment. Any character outside GSM-7 switches the whole body to UCS-2: up to 70 UTF-16 code units
 * is one segment, else 67 per segment. An empty body is one segment. Thread-safe (stateless).
 */
public final class SmsSegments {
  /** GSM 03.38 basic character set (the escape code 0x1B excluded). */
  private static final String BASIC =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

  /** GSM 03.38 extension table: sent as escape + character, two septets each. */
  private static final String EXTENSION = "\f^{}\\[~]|€";

  private static final int GSM_SINGLE = 160;
  private static final int GSM_MULTI = 153;
  private static final int UCS2_SINGLE = 70;
  private static final int UCS2_MULTI = 67;

  private SmsSegments() {}

  /** The segment count of {@code body}; {@code null} counts as empty. */
  public static SegmentCount count(String body) {
    if (body == null || body.isEmpty()) {
      return new SegmentCount(SmsEncoding.GSM7, 0, 1);
    }
    int septets = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (BASIC.indexOf(c) >= 0) {
        septets += 1;
      } else if (EXTENSION.indexOf(c) >= 0) {
        septets += 2;
      } else {
        int units = body.length();
        return new SegmentCount(SmsEncoding.UCS2, units, segments(units, UCS2_SINGLE, UCS2_MULTI));
      }
    }
    return new SegmentCount(SmsEncoding.GSM7, septets, segments(septets, GSM_SINGLE, GSM_MULTI));
  }

  private static int segments(int units, int single, int multi) {
    return units <= single ? 1 : (units + multi - 1) / multi;
  }
}
