package io.keybrake.store.wal;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link WriteAheadAuditLog}. Immutable.
 *
 * @param segmentBytes a segment is closed and a new one started past this size; drained segments
 *     are deleted
 * @param batchSize most entries sent to the audit log in one transaction
 * @param linger how long the drainer lets entries gather after a send before it sends a batch that
 *     is not full: fewer, larger transactions (and fewer disk flushes competing with the appends'
 *     own) at the cost of entries reaching the audit log that much later
 * @param minBackoff first wait after a failed send; doubled after each failure
 * @param maxBackoff longest wait between attempts while the audit log is unreachable
 * @param closeTimeout how long {@code close} keeps draining before it leaves the rest for the next
 *     start
 * @param drain whether to run the drainer (false only in tests and tools that read the file)
 */
public record WalSettings(
    long segmentBytes,
    int batchSize,
    Duration linger,
    Duration minBackoff,
    Duration maxBackoff,
    Duration closeTimeout,
    boolean drain) {
  public static final WalSettings DEFAULTS =
      new WalSettings(
          64L << 20,
          500,
          Duration.ofMillis(50),
          Duration.ofMillis(50),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          true);

  public WalSettings {
    if (segmentBytes < 4096) {
      throw new IllegalArgumentException("segmentBytes must be at least 4096");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1");
    }
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must not be negative");
    }
    Objects.requireNonNull(minBackoff);
    Objects.requireNonNull(maxBackoff);
    Objects.requireNonNull(closeTimeout);
  }

  public WalSettings withDrain(boolean on) {
    return new WalSettings(
        segmentBytes, batchSize, linger, minBackoff, maxBackoff, closeTimeout, on);
  }

  public WalSettings withSegmentBytes(long bytes) {
    return new WalSettings(bytes, batchSize, linger, minBackoff, maxBackoff, closeTimeout, drain);
  }
}
