package io.keybrake.harness.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

  @Test
  void openLoopStartsRateTimesDurationExchangesAndCountsFailures() throws Exception {
    AtomicLong calls = new AtomicLong();

    LoadReport report =
        LoadGenerator.openLoop(500, Duration.ofMillis(100))
            .run(() -> calls.incrementAndGet() % 2 == 0);

    assertThat(calls.get()).isEqualTo(50);
    assertThat(report.completed()).isEqualTo(25);
    assertThat(report.failed()).isEqualTo(25);
    assertThat(report.maxMicros()).isGreaterThanOrEqualTo(report.p99Micros());
    assertThat(report.p99Micros()).isGreaterThanOrEqualTo(report.p50Micros());
    assertThat(report.toString()).startsWith("25 ok, 25 failed, ");
  }

  @Test
  void openLoopLatencyCountsQueueingBehindASlowSystem() throws Exception {
    // One thread, 20 exchanges offered over 200 ms, each taking 20 ms: the last one is intended
    // at ~190 ms but can only start at ~380 ms. Service time alone would report ~20 ms.
    LoadReport report =
        LoadGenerator.openLoop(100, Duration.ofMillis(200))
            .threads(1)
            .run(
                () -> {
                  LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                  return true;
                });

    assertThat(report.completed()).isEqualTo(20);
    assertThat(report.maxMicros()).isGreaterThan(150_000);
  }

  @Test
  void closedLoopStopsAtMaxExchangesAndExceptionsAreFailures() throws Exception {
    AtomicLong calls = new AtomicLong();

    LoadReport report =
        LoadGenerator.closedLoop(4, Duration.ofSeconds(30))
            .maxExchanges(1000)
            .run(
                () -> {
                  if (calls.incrementAndGet() % 10 == 0) {
                    throw new IllegalStateException("vendor down");
                  }
                  return true;
                });

    assertThat(calls.get()).isEqualTo(1000);
    assertThat(report.completed()).isEqualTo(900);
    assertThat(report.failed()).isEqualTo(100);
    assertThat(report.perSecond()).isPositive();
  }

  @Test
  void aClosedLoopRunsForItsWholeDurationEvenWhenThatIsLongerThanTheDrainTimeout()
      throws Exception {
    AtomicLong calls = new AtomicLong();
    long start = System.nanoTime();

    LoadReport report =
        LoadGenerator.closedLoop(2, Duration.ofMillis(1500))
            .drainTimeout(Duration.ofMillis(100))
            .run(
                () -> {
                  calls.incrementAndGet();
                  LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
                  return true;
                });

    // the workers stop at the end of the duration, not when the drain timeout after the start ran
    // out (an exchange finishing after the end may still count; none is cut off)
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(1500).toNanos());
    assertThat(report.failed()).isZero();
    assertThat(report.completed()).isEqualTo(calls.get());
  }

  @Test
  void exchangesStillRunningAfterTheDrainTimeoutCountAsFailed() throws Exception {
    LoadReport report =
        LoadGenerator.openLoop(1000, Duration.ofMillis(10))
            .threads(1)
            .drainTimeout(Duration.ofMillis(50))
            .run(
                () -> {
                  LockSupport.parkNanos(Duration.ofSeconds(5).toNanos());
                  return true;
                });

    assertThat(report.completed()).isZero();
    assertThat(report.failed()).isEqualTo(10);
  }
}
