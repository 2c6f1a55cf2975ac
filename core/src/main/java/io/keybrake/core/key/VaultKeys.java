package io.keybrake.core.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Vault key secrets and ids: generation, hashing and comparison. The registry stores only {@link
 * #hash(String)} of a secret. Thread-safe (the shared {@link SecureRandom} is thread-safe).
 */
public final class VaultKeys {
  /** Every vault key secret starts with this. */
  public static final String SECRET_PREFIX = "vault_key_";

  /** Every key id starts with this. */
  public static final String ID_PREFIX = "key_";

  static final int SECRET_CHARS = 40;
  static final int ID_CHARS = 20;

  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final SecureRandom RANDOM = new SecureRandom();

  private VaultKeys() {}

  /** A new secret: {@code vault_key_} and 40 random base62 characters (about 238 bits). */
  public static String newSecret() {
    return SECRET_PREFIX + randomBase62(SECRET_CHARS);
  }

  /** A new public key id: {@code key_} and 20 random base62 characters. */
  public static String newKeyId() {
    return ID_PREFIX + randomBase62(ID_CHARS);
  }

  /** Lower-case hex SHA-256 of the secret's UTF-8 bytes. */
  public static String hash(String secret) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(d.digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Compares two strings in time that does not depend on where they differ. A null never equals
   * anything.
   */
  public static boolean constantTimeEquals(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code s} has the shape of a vault key secret (prefix and 40 base62 characters). */
  public static boolean looksLikeVaultKey(String s) {
    if (s == null
        || s.length() != SECRET_PREFIX.length() + SECRET_CHARS
        || !s.startsWith(SECRET_PREFIX)) {
      return false;
    }
    for (int i = SECRET_PREFIX.length(); i < s.length(); i++) {
      if (BASE62.indexOf(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  private static String randomBase62(int n) {
    char[] out = new char[n];
    for (int i = 0; i < n; i++) {
      out[i] = BASE62.charAt(RANDOM.nextInt(BASE62.length()));
    }
    return new String(out);
  }
}
