package io.keybrake.store.redis;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code LatencyBuckets} counts command round trips in power-of-two buckets of microseconds (1, 2,
 * 4 … µs up to about 35 min), so percentiles can be read at any time with a precision of a factor
 * of two (the bucket's upper edge is reported). Thread-safe; recording is one atomic increment.
 */
public final class LatencyBuckets {
  private static final int BUCKETS = 32;
  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  /** Records one round trip of {@code nanos}. */
  void record(long nanos) {
    long micros = Math.max(1, nanos / 1_000);
    int bucket = Math.min(BUCKETS - 1, 63 - Long.numberOfLeadingZeros(micros));
    counts.incrementAndGet(bucket);
  }

  /** Round trips recorded so far. */
  public long count() {
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      n += counts.get(i);
    }
    return n;
  }

  /**
   * The upper edge in microseconds of the bucket holding the {@code quantile} (0-1) of round trips,
   * or 0 when none was recorded.
   */
  public long percentileMicros(double quantile) {
    long total = count();
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(quantile * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return 1L << (i + 1);
      }
    }
    return 1L << BUCKETS;
  }
}
