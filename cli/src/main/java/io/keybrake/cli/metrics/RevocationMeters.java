package io.keybrake.cli.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How long a revocation takes to reach each place that must refuse the key, measured on the
 * instance that took {@code DELETE /keys/{id}}: {@code cache} (its own key cache), {@code xds} (the
 * snapshot pushed to Envoy without the key's route), {@code feed} (the change feed's message heard
 * back through Redis, the path every other instance hears it on). Thread-safe.
 */
public final class RevocationMeters {
  /** Revocations older than this are forgotten (a feed message that never came). */
  private static final long FORGET_AFTER_NANOS = TimeUnit.MINUTES.toNanos(5);

  private static final int MAX_TRACKED = 10_000;

  private final MeterRegistry registry;
  private final LongSupplier nanoTicker;
  private final Map<String, Long> started = new ConcurrentHashMap<>();
  private final Map<String, Timer> stages = new ConcurrentHashMap<>();

  RevocationMeters(MeterRegistry registry, LongSupplier nanoTicker) {
    this.registry = registry;
    this.nanoTicker = nanoTicker;
    for (String stage : new String[] {"cache", "xds", "feed"}) {
      timer(stage);
    }
  }

  /** A key was revoked through this instance's admin API, now. */
  public void revoked(String keyId) {
    long now = nanoTicker.getAsLong();
    if (started.size() >= MAX_TRACKED) {
      started.values().removeIf(t -> now - t > FORGET_AFTER_NANOS);
    }
    if (started.size() < MAX_TRACKED) {
      started.put(keyId, now);
    }
  }

  /** The revocation reached {@code stage} ({@code cache}, {@code xds}, {@code feed}) now. */
  public void reached(String keyId, String stage) {
    Long t = started.get(keyId);
    if (t == null) {
      return; // revoked through another instance: not measured here
    }
    long elapsed = nanoTicker.getAsLong() - t;
    if (elapsed > FORGET_AFTER_NANOS) {
      started.remove(keyId);
      return;
    }
    timer(stage).record(elapsed, TimeUnit.NANOSECONDS);
    if (stage.equals("feed")) {
      started.remove(keyId);
    }
  }

  private Timer timer(String stage) {
    return stages.computeIfAbsent(
        stage,
        s ->
            Timer.builder("keybrake_revocation_propagation")
                .description(
                    "Time from DELETE /keys/{id} to the revocation reaching the key cache, the xDS"
                        + " snapshot, and the change feed (heard back through Redis)")
                .tag("stage", s)
                .serviceLevelObjectives(
                    Duration.ofMillis(1),
                    Duration.ofMillis(10),
                    Duration.ofMillis(50),
                    Duration.ofMillis(100),
                    Duration.ofMillis(250),
                    Duration.ofMillis(500),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(5))
                .register(registry));
  }
}
