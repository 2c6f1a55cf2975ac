package io.keybrake.harness.load;

import java.util.Locale;

/**
 * {@code LoadReport} sums up one load run: exchanges that succeeded ({@code completed}), that
 * failed (returned false, threw, or were still running when the run stopped), the success rate per
 * second over the run, and latency percentiles in microseconds over every finished exchange. In an
 * open-loop run latency is measured from each exchange's intended start, so queueing behind a slow
 * system counts (no coordinated omission). Immutable and thread-safe.
 */
public record LoadReport(
    long completed, long failed, double perSecond, long p50Micros, long p99Micros, long maxMicros) {

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%d ok, %d failed, %.1f/s, p50 %.3f ms, p99 %.3f ms, max %.3f ms",
        completed,
        failed,
        perSecond,
        p50Micros / 1000.0,
        p99Micros / 1000.0,
        maxMicros / 1000.0);
  }
}
