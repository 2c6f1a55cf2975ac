package io.keybrake.harness.sim;

/**
 * Counts SMS segments the way carriers do: GSM-7 (160 per single segment, 153 per part; extension
 * characters take two septets) unless a character needs UCS-2 (70 / 67 UTF-16 units). Stateless and
 * thread-safe.
 */
final class SmsSegments {
  private static final String GSM_BASIC =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  private static final String GSM_EXTENSION = "\f^{}\\[~]|€";

  private SmsSegments() {}

  static int count(String body) {
    int septets = 0;
    boolean gsm = true;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (GSM_BASIC.indexOf(c) >= 0) {
        septets++;
      } else if (GSM_EXTENSION.indexOf(c) >= 0) {
        septets += 2;
      } else {
        gsm = false;
        break;
      }
    }
    if (gsm) {
      return septets <= 160 ? 1 : (septets + 152) / 153;
    }
    int units = body.length();
    return units <= 70 ? 1 : (units + 66) / 67;
  }
}
