package io.keybrake.store.wal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * {@code InstanceId} is the write-ahead directory's permanent random id, the first part of every
 * entry id it sends: kept in the file {@code instance-id}, created once. Two directories must never
 * share it, so a copied data directory must not run beside its original. Stateless.
 */
final class InstanceId {
  static final String FILE = "instance-id";

  private InstanceId() {}

  static String loadOrCreate(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (!id.matches("[0-9a-f-]{36}")) {
        throw new IOException("instance id file " + file + " is damaged");
      }
      return id;
    }
    String id = UUID.randomUUID().toString();
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    DrainCheckpoint.forceDirectory(dir);
    return id;
  }
}
