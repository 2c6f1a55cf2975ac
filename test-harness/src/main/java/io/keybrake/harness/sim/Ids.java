package io.keybrake.harness.sim;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/** Random vendor identifiers and credential parsing shared by the simulators. Thread-safe. */
final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALNUM =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private Ids() {}

  /** {@code prefix} followed by 32 lowercase hex digits (Twilio SIDs). */
  static String hex32(String prefix) {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  /** {@code prefix} followed by 24 alphanumerics (Stripe ids, e.g. {@code pi_3Nx...}). */
  static String stripe(String prefix) {
    StringBuilder sb = new StringBuilder(prefix);
    for (int i = 0; i < 24; i++) {
      sb.append(ALNUM.charAt(RANDOM.nextInt(ALNUM.length())));
    }
    return sb.toString();
  }

  /** The {@code user:password} of a Basic {@code Authorization} header. */
  static Optional<String> basic(Optional<String> authorization) {
    return authorization
        .filter(a -> a.regionMatches(true, 0, "Basic ", 0, 6))
        .flatMap(
            a -> {
              try {
                return Optional.of(
                    new String(
                        Base64.getDecoder().decode(a.substring(6).trim()),
                        java.nio.charset.StandardCharsets.UTF_8));
              } catch (IllegalArgumentException e) {
                return Optional.empty();
              }
            });
  }

  /** The token of a Bearer {@code Authorization} header. */
  static Optional<String> bearer(Optional<String> authorization) {
    return authorization
        .filter(a -> a.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(a -> a.substring(7).trim());
  }

  /** Constant-time equality of two secrets. */
  static boolean same(String a, String b) {
    return java.security.MessageDigest.isEqual(
        a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
