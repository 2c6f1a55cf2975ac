package io.keybrake.cli.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code keybrake_reconciliation_lag_seconds}: the age of the oldest Twilio call or message still
 * counted at its estimate (audit settlement {@code estimated}, no later {@code settled} row) within
 * the reconciler's lookback; 0 when every one is priced. Refreshed after each reconciler pass from
 * what that pass left (the reconciler walks every such row oldest first, so the first one it leaves
 * is the oldest). In a fleet one instance at a time runs the reconciler; the others report 0, so
 * the fleet's lag is the largest value across instances. Thread-safe.
 */
public final class ReconciliationLag {
  private final Clock clock;
  private volatile double seconds;

  public ReconciliationLag(MeterRegistry registry, Clock clock) {
    this.clock = clock;
    Gauge.builder("keybrake_reconciliation_lag_seconds", this, l -> l.seconds)
        .description(
            "Age of the oldest Twilio call or message still counted at its estimate (not yet"
                + " settled at Twilio's price); 0 when all are priced, and on an instance of a fleet"
                + " that does not run the reconciler")
        .register(registry);
  }

  /** Sets the gauge to 0: another instance of the fleet runs the reconciler and reports the lag. */
  public void notRunHere() {
    seconds = 0;
  }

  /** Sets the gauge from the oldest unpriced row's time; call after each reconciler pass. */
  public void refresh(Optional<Instant> oldestUnpriced) {
    Instant now = clock.instant();
    seconds =
        oldestUnpriced
            .map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0))
            .orElse(0.0);
  }
}
