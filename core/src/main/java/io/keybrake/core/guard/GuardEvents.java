package io.keybrake.core.guard;

import io.keybrake.core.key.KeyRecord;

/**
 * Told when a guard trips, for metrics and alert webhooks. Methods have no-op defaults; they must
 * not block. Thread-safe implementations only.
 */
public interface GuardEvents {
  GuardEvents NONE = new GuardEvents() {};

  /**
   * A guard refused a call (or, in shadow mode, would have).
   *
   * @param rule the refusal code, e.g. {@code destination_rate_exceeded}
   * @param action {@code alert}, {@code suspend} or {@code shadow}
   * @param counterId the tripped counter (unique per key, rule and window; no phone number)
   */
  default void tripped(KeyRecord key, String rule, String action, String counterId) {}
}
