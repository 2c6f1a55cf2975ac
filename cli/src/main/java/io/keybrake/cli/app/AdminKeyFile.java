package io.keybrake.cli.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The generated admin key, kept owner-readable in the data dir so a restart keeps it. */
final class AdminKeyFile {
  private AdminKeyFile() {}

  static String loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve("admin-key");
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    String key = "kb_admin_" + HexFormat.of().formatHex(raw);
    Files.createDirectories(dataDir);
    Path tmp = Files.createTempFile(dataDir, "admin-key", ".tmp");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system
    }
    Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return key;
  }
}
