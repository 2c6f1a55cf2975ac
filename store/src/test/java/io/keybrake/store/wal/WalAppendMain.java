package io.keybrake.store.wal;

import io.keybrake.store.postgres.AuditFixtures;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A child process for the crash test: appends entries to a write-ahead directory (drainer off, so
 * nothing leaves the file) and prints {@code acked <n>} after each append returns, until killed.
 */
public final class WalAppendMain {
  private WalAppendMain() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    Instant at = Instant.parse(args[1]);
    WriteAheadAuditLog wal =
        WriteAheadAuditLog.open(
            dir,
            batch -> {
              throw new IllegalStateException("no sink in the child");
            },
            WriteAheadAuditLogTest.NO_READER,
            WalSettings.DEFAULTS.withDrain(false).withSegmentBytes(64 * 1024));
    for (long i = 0; ; i++) {
      wal.append(AuditFixtures.allowed("key_crash", at, i));
      System.out.println("acked " + i);
      System.out.flush();
    }
  }
}
