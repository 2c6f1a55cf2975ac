package io.keybrake.cli.metrics;

import io.keybrake.core.guard.GuardEvents;
import io.keybrake.core.key.KeyRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts guard trips ({@code keybrake_guard_trips_total}) by rule (the refusal code) and action
 * ({@code alert}, {@code suspend}, {@code shadow}); both label sets are closed. Thread-safe.
 */
final class GuardMeters implements GuardEvents {
  static final List<String> RULES =
      List.of(
          "destination_rate_exceeded",
          "identical_calls_exceeded",
          "spend_rate_exceeded",
          "outside_allowed_hours");
  static final List<String> ACTIONS = List.of("alert", "suspend", "shadow");

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> trips = new ConcurrentHashMap<>();

  GuardMeters(MeterRegistry registry) {
    this.registry = registry;
    for (String rule : RULES.subList(0, 3)) {
      for (String action : ACTIONS) {
        counter(rule, action);
      }
    }
  }

  @Override
  public void tripped(KeyRecord key, String rule, String action, String counterId) {
    if (RULES.contains(rule) && ACTIONS.contains(action)) {
      counter(rule, action).increment();
    }
  }

  private Counter counter(String rule, String action) {
    return trips.computeIfAbsent(
        rule + "|" + action,
        k ->
            Counter.builder("keybrake_guard_trips")
                .description(
                    "Loop and velocity guard trips by rule (destination_rate_exceeded,"
                        + " identical_calls_exceeded, spend_rate_exceeded, outside_allowed_hours"
                        + " in shadow mode) and action (alert, suspend: the key was revoked with"
                        + " reason loop_detected, shadow: recorded only)")
                .tag("rule", rule)
                .tag("action", action)
                .register(registry));
  }
}
