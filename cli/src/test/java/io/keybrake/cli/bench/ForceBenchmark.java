package io.keybrake.cli.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one force of the audit write-ahead file costs, by how the file is written: appended and
 * forced with {@code fsync} (the write-ahead file until the tenth session), appended and forced
 * with {@code fdatasync}, and overwriting a preallocated file forced with {@code fdatasync} (the
 * write-ahead file now, {@code WalSegments}). Each round runs the three on 600-byte records (an
 * audit row's size), first alone, then while a thread of this process writes 64 MiB files with
 * {@code fdatasync} in a loop, as PostgreSQL or another process does on the same disk. A program,
 * not a test:
 *
 * <pre>
 * ./mvnw -B -q -pl cli verify -Pbench -DskipTests -Dbench.main=io.keybrake.cli.bench.ForceBenchmark
 * -Dbench.args="1500 3"</pre>
 *
 * Arguments: [records per method and round, default 1500] [rounds, default 3]. Files go to a
 * temporary directory under {@code target/}.
 */
public final class ForceBenchmark {
  private static final int RECORD = 600;

  private ForceBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1500;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory(Path.of("target"), "force-bench");
    byte[] record = new byte[RECORD];
    new Random(1).nextBytes(record);
    System.out.printf("one force after each %d-byte record, %d records per row%n", RECORD, n);
    for (boolean busy : new boolean[] {false, true}) {
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = busy ? backgroundWriter(dir.resolve("background.dat"), stop) : null;
      for (int round = 1; round <= rounds; round++) {
        String when = (busy ? "beside a writer" : "alone") + ", round " + round;
        print("append + fsync, " + when, appended(dir.resolve("a.log"), record, n, false));
        print("append + fdatasync, " + when, appended(dir.resolve("b.log"), record, n, true));
        print("preallocated + fdatasync, " + when, preallocated(dir.resolve("c.log"), record, n));
      }
      if (writer != null) {
        stop.set(true);
        writer.join();
      }
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }

  private static long[] appended(Path file, byte[] record, int n, boolean dataOnly)
      throws IOException {
    Files.deleteIfExists(file);
    long[] t = new long[n];
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      for (int i = 0; i < n; i++) {
        long start = System.nanoTime();
        f.write(record);
        if (dataOnly) {
          f.getChannel().force(false);
        } else {
          f.getFD().sync();
        }
        t[i] = System.nanoTime() - start;
      }
    }
    Files.delete(file);
    return t;
  }

  private static long[] preallocated(Path file, byte[] record, int n) throws IOException {
    Files.deleteIfExists(file);
    long[] t = new long[n];
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      byte[] zeros = new byte[1 << 20];
      for (long written = 0; written < (long) record.length * n; written += zeros.length) {
        f.write(zeros);
      }
      f.getFD().sync();
      f.seek(0);
      for (int i = 0; i < n; i++) {
        long start = System.nanoTime();
        f.write(record);
        f.getChannel().force(false);
        t[i] = System.nanoTime() - start;
      }
    }
    Files.delete(file);
    return t;
  }

  private static Thread backgroundWriter(Path file, AtomicBoolean stop) {
    Thread t =
        new Thread(
            () -> {
              byte[] chunk = new byte[1 << 20];
              while (!stop.get()) {
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                  f.setLength(0);
                  for (int i = 0; i < 64 && !stop.get(); i++) {
                    f.write(chunk);
                  }
                  f.getChannel().force(false);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              }
              try {
                Files.deleteIfExists(file);
              } catch (IOException ignored) {
                // a temporary file
              }
            },
            "background-writer");
    t.start();
    return t;
  }

  private static void print(String label, long[] t) {
    long[] c = t.clone();
    Arrays.sort(c);
    int n = c.length;
    System.out.printf(
        "  %-52s p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms%n",
        label, c[n / 2] / 1e6, c[n * 9 / 10] / 1e6, c[n * 99 / 100] / 1e6, c[n - 1] / 1e6);
  }
}
