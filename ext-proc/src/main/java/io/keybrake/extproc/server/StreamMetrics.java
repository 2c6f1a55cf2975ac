package io.keybrake.extproc.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Metrics of the ext_proc server: open streams, faults, the time each phase of a decision takes,
 * and dedup waits. Labels are fixed sets (phase names), never a key or a secret. Decisions by
 * outcome are counted from their audit rows (one per decision), not here. Thread-safe.
 */
public final class StreamMetrics {

  /** The phases of one exchange, as seen by the data plane. */
  public enum Phase {
    /** Request headers: path normalisation, key identification, scope. */
    IDENTIFY,
    /** Request body: cost estimate, destination, dedup claim and the spend reservation. */
    RESERVE,
    /** From the allow answer to the vendor's response headers: the vendor's round trip. */
    FORWARD,
    /** Response headers and body: settlement, keeping the response for replay, the audit row. */
    SETTLE;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Bucket bounds of the phase histograms; 200 ms is Envoy's default message timeout. */
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(200),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(30)
  };

  private final AtomicLong open = new AtomicLong();
  private final Counter faults;
  private final Counter dedupWaits;
  private final Map<Phase, Timer> phases = new EnumMap<>(Phase.class);
  private final LongSupplier nanoTicker;

  public StreamMetrics(MeterRegistry registry) {
    this(registry, System::nanoTime);
  }

  public StreamMetrics(MeterRegistry registry, LongSupplier nanoTicker) {
    this.nanoTicker = nanoTicker;
    Gauge.builder("keybrake_extproc_open_streams", open, AtomicLong::get)
        .description("ext_proc Process streams open now (one per HTTP exchange in flight)")
        .register(registry);
    this.faults =
        Counter.builder("keybrake_extproc_faults")
            .description(
                "ext_proc streams answered with a gRPC error because the processor failed"
                    + " (Envoy fails closed)")
            .register(registry);
    this.dedupWaits =
        Counter.builder("keybrake_dedup_inflight_waits")
            .description(
                "Calls that waited for an identical call still in flight (dedup window) before"
                    + " being answered")
            .register(registry);
    for (Phase p : Phase.values()) {
      phases.put(
          p,
          Timer.builder("keybrake_decision_phase")
              .description(
                  "Time per decision phase: identify (request headers), reserve (request body:"
                      + " dedup and spend reservation), forward (vendor round trip), settle"
                      + " (response)")
              .tag("phase", p.label())
              .serviceLevelObjectives(BUCKETS)
              .register(registry));
    }
  }

  /** Now, on the ticker phases are timed with. */
  long now() {
    return nanoTicker.getAsLong();
  }

  /** Records a phase that began at {@code startNanos} (from {@link #now()}) and ends now. */
  void phase(Phase phase, long startNanos) {
    phases
        .get(phase)
        .record(Math.max(0, nanoTicker.getAsLong() - startNanos), TimeUnit.NANOSECONDS);
  }

  void streamOpened() {
    open.incrementAndGet();
  }

  void streamClosed() {
    open.decrementAndGet();
  }

  void fault() {
    faults.increment();
  }

  void dedupWait() {
    dedupWaits.increment();
  }

  /** Streams open now (a stream cancelled by the client is closed too). */
  public long openStreams() {
    return open.get();
  }

  /** Phases recorded so far, for tests and diagnostics. */
  public long phaseCount(Phase phase) {
    return phases.get(phase).count();
  }
}
