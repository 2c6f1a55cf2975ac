package io.keybrake.store.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * {@code DrainCheckpoint} is the durable record of how far the write-ahead file has been drained:
 * the highest local seq known to be in the audit log. It is replaced atomically (write a temporary
 * file, force it, rename over, force the directory), so a crash leaves the old or the new value,
 * never a torn one. Not thread-safe: the drainer alone writes it.
 */
final class DrainCheckpoint {
  static final String FILE = "drained";

  private final Path dir;
  private final Path file;

  DrainCheckpoint(Path dir) {
    this.dir = dir;
    this.file = dir.resolve(FILE);
  }

  /** The stored value, or 0 when nothing was ever drained. */
  long read() throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    if (b.remaining() != 12) {
      throw new IOException(
          "drain checkpoint " + file + " is damaged (length " + b.remaining() + ")");
    }
    long seq = b.getLong(0);
    if (crc(seq) != b.getInt(8)) {
      throw new IOException("drain checkpoint " + file + " is damaged (checksum)");
    }
    return seq;
  }

  void write(long seq) throws IOException {
    Path tmp = dir.resolve(FILE + ".tmp");
    ByteBuffer b = ByteBuffer.allocate(12).putLong(seq).putInt(crc(seq));
    b.flip();
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceDirectory(dir);
  }

  /**
   * Makes a rename or a new file in {@code dir} durable. An interrupt of the calling thread (which
   * closes the channel: {@code ClosedByInterruptException}) does not fail it: the force is retried
   * on a fresh channel and the thread's interrupt status is restored afterwards.
   */
  static void forceDirectory(Path dir) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      while (true) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
          ch.force(true);
          return;
        } catch (ClosedByInterruptException e) {
          interrupted |= Thread.interrupted();
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static int crc(long seq) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(8).putLong(0, seq));
    return (int) c.getValue();
  }
}
