package io.keybrake.cli.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Times the calls of one store port ({@code ledger}, {@code audit}) by operation and counts the
 * ones that failed. Operation names are the port's method names, a fixed set. Thread-safe.
 */
final class StoreCallMeters {
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5)
  };

  private final MeterRegistry registry;
  private final String store;
  private final LongSupplier nanoTicker;
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> errors = new ConcurrentHashMap<>();

  /**
   * @param store {@code ledger} or {@code audit}: the metrics are {@code keybrake_<store>_call_*}
   *     and {@code keybrake_<store>_errors_total}
   */
  StoreCallMeters(MeterRegistry registry, String store, LongSupplier nanoTicker) {
    this.registry = registry;
    this.store = store;
    this.nanoTicker = nanoTicker;
  }

  <T> T time(String operation, Supplier<T> call) {
    long start = nanoTicker.getAsLong();
    try {
      return call.get();
    } catch (RuntimeException e) {
      errors(operation).increment();
      throw e;
    } finally {
      timer(operation).record(nanoTicker.getAsLong() - start, TimeUnit.NANOSECONDS);
    }
  }

  /** Times an asynchronous call from its start to its stage's completion. */
  <T> CompletionStage<T> timeAsync(String operation, Supplier<CompletionStage<T>> call) {
    long start = nanoTicker.getAsLong();
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      errors(operation).increment();
      timer(operation).record(nanoTicker.getAsLong() - start, TimeUnit.NANOSECONDS);
      throw e;
    }
    return stage.whenComplete(
        (v, failure) -> {
          if (failure != null) {
            errors(operation).increment();
          }
          timer(operation).record(nanoTicker.getAsLong() - start, TimeUnit.NANOSECONDS);
        });
  }

  void run(String operation, Runnable call) {
    time(
        operation,
        () -> {
          call.run();
          return null;
        });
  }

  /** Registers the series of an operation before its first call, so a scrape shows zeros. */
  void declare(String... operations) {
    for (String op : operations) {
      timer(op);
      errors(op);
    }
  }

  private Timer timer(String operation) {
    return timers.computeIfAbsent(
        operation,
        op ->
            Timer.builder("keybrake_" + store + "_call")
                .description("Latency of " + store + " store calls by operation, failed ones too")
                .tag("operation", op)
                .serviceLevelObjectives(BUCKETS)
                .register(registry));
  }

  private Counter errors(String operation) {
    return errors.computeIfAbsent(
        operation,
        op ->
            Counter.builder("keybrake_" + store + "_errors")
                .description(
                    "Calls to the " + store + " store that failed (store unavailable or timed out)")
                .tag("operation", op)
                .register(registry));
  }
}
