package io.keybrake.store.crypto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code KeyEncryptionKey} is the 256-bit AES key that encrypts vendor credentials at rest. It
 * comes from the environment ({@code KEYBRAKE_KEK}, 32 bytes in base64) or from the file {@code
 * kek} in the data directory, created owner-only (0600) on first use. Immutable and thread-safe;
 * {@link #toString()} never shows the key.
 */
public final class KeyEncryptionKey {
  /** Name of the environment variable that carries the key. */
  public static final String ENV = "KEYBRAKE_KEK";

  /** Name of the key file in the data directory. */
  public static final String FILE_NAME = "kek";

  static final int LENGTH_BYTES = 32;
  private static final Logger LOG = LoggerFactory.getLogger(KeyEncryptionKey.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKey key;

  private KeyEncryptionKey(byte[] raw) {
    this.key = new SecretKeySpec(raw, "AES");
    Arrays.fill(raw, (byte) 0);
  }

  /**
   * The key from {@code base64FromEnv} when present and not blank, otherwise from {@code
   * <dataDir>/kek}, which is created with a fresh random key (permissions 0600) if it does not
   * exist.
   *
   * @throws IllegalArgumentException if the given or stored value is not 32 bytes of base64 (the
   *     message never contains the value)
   */
  public static KeyEncryptionKey loadOrCreate(Path dataDir, Optional<String> base64FromEnv) {
    if (base64FromEnv.isPresent() && !base64FromEnv.get().isBlank()) {
      return fromBase64(base64FromEnv.get(), ENV);
    }
    Path file = dataDir.resolve(FILE_NAME);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        try {
          return create(file);
        } catch (FileAlreadyExistsException raced) {
          // another process created it first: read theirs
        }
      }
      warnIfReadableByOthers(file);
      return fromBase64(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create key-encryption key file " + file, e);
    }
  }

  /** A key from its base64 text; {@code source} names where it came from in error messages. */
  public static KeyEncryptionKey fromBase64(String base64, String source) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "key-encryption key from " + source + " is not valid base64", null);
    }
    if (raw.length != LENGTH_BYTES) {
      throw new IllegalArgumentException(
          "key-encryption key from "
              + source
              + " must be "
              + LENGTH_BYTES
              + " bytes, got "
              + raw.length);
    }
    return new KeyEncryptionKey(raw);
  }

  /** A fresh random key (tests, key rotation tooling). */
  public static KeyEncryptionKey random() {
    byte[] raw = new byte[LENGTH_BYTES];
    RANDOM.nextBytes(raw);
    return new KeyEncryptionKey(raw);
  }

  SecretKey secretKey() {
    return key;
  }

  private static KeyEncryptionKey create(Path file) throws IOException {
    byte[] raw = new byte[LENGTH_BYTES];
    RANDOM.nextBytes(raw);
    byte[] text = Base64.getEncoder().encode(raw);
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] attrs =
        posix
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
            }
            : new FileAttribute<?>[0];
    Files.createFile(file, attrs);
    Files.write(file, text, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    LOG.info("created a new key-encryption key in {}", file);
    return new KeyEncryptionKey(raw);
  }

  private static void warnIfReadableByOthers(Path file) throws IOException {
    if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.contains(PosixFilePermission.GROUP_READ)
        || perms.contains(PosixFilePermission.OTHERS_READ)) {
      LOG.warn("key-encryption key file {} is readable by other users; chmod 600 it", file);
    }
  }

  @Override
  public String toString() {
    return "KeyEncryptionKey[***]";
  }
}
