package io.keybrake.extproc.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Metrics of the ext_proc server: decisions by outcome, open streams, faults. Never labelled with a
 * key secret. Thread-safe.
 */
public final class StreamMetrics {
  private final MeterRegistry registry;
  private final AtomicLong open = new AtomicLong();
  private final Counter faults;
  private final ConcurrentHashMap<String, Counter> decisions = new ConcurrentHashMap<>();

  public StreamMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("keybrake_extproc_open_streams", open);
    this.faults = registry.counter("keybrake_extproc_faults_total");
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

  void decision(String outcome) {
    decisions
        .computeIfAbsent(outcome, o -> registry.counter("keybrake_decisions_total", "decision", o))
        .increment();
  }

  /** Streams open now (a stream cancelled by the client is closed too). */
  public long openStreams() {
    return open.get();
  }
}
