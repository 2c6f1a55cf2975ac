package io.keybrake.cli.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * The audit write-ahead file's backlog (entries acknowledged, not yet in PostgreSQL) and its drain
 * lag: the age of the oldest entry still waiting. The lag is kept by counting appends per second of
 * the injected clock; when an earlier run left entries, the lag counts from this run's start. With
 * the embedded store every audit row is written synchronously and both read 0. Thread-safe.
 */
final class AuditDrainMeters {
  private final Clock clock;
  private final Instant started;
  private volatile LongSupplier pending = () -> 0;

  /** [epoch second, appends of this run up to the end of that second], oldest first. */
  private final ArrayDeque<long[]> seconds = new ArrayDeque<>();

  private long appended;

  AuditDrainMeters(MeterRegistry registry, Clock clock) {
    this.clock = clock;
    this.started = clock.instant();
    Gauge.builder("keybrake_audit_wal_pending_entries", this, m -> m.pending.getAsLong())
        .description(
            "Audit entries acknowledged by the local write-ahead file and not yet stored in"
                + " PostgreSQL (fleet mode; 0 with the embedded store)")
        .register(registry);
    Gauge.builder("keybrake_audit_drain_lag_seconds", this, AuditDrainMeters::lagSeconds)
        .description(
            "Age of the oldest audit entry still waiting in the write-ahead file (0 when it is"
                + " drained)")
        .register(registry);
  }

  /** Reads the backlog of a write-ahead audit file from now on. */
  void watch(LongSupplier pendingEntries) {
    this.pending = pendingEntries;
  }

  /** An audit entry was acknowledged. */
  synchronized void appended() {
    appended++;
    long second = clock.instant().getEpochSecond();
    long[] last = seconds.peekLast();
    if (last != null && last[0] == second) {
      last[1] = appended;
    } else {
      seconds.addLast(new long[] {second, appended});
    }
  }

  synchronized double lagSeconds() {
    long waiting = pending.getAsLong();
    Instant now = clock.instant();
    if (waiting <= 0) {
      seconds.clear();
      return 0;
    }
    long drained = appended - waiting;
    if (drained < 0) {
      return Math.max(0, now.getEpochSecond() - started.getEpochSecond());
    }
    while (!seconds.isEmpty() && seconds.peekFirst()[1] <= drained) {
      seconds.pollFirst();
    }
    long[] oldest = seconds.peekFirst();
    return oldest == null ? 0 : Math.max(0, now.getEpochSecond() - oldest[0]);
  }
}
