package io.keybrake.core.notify;

import java.time.Instant;
import java.util.List;

/**
 * {@code ThresholdStore} remembers which budget thresholds were crossed and whether their
 * notification was delivered, in the same database as the key registry, so each threshold of each
 * window is notified at most once across instances and restarts. Thread-safe. Faults throw {@link
 * io.keybrake.core.store.StoreUnavailableException}.
 */
public interface ThresholdStore {

  /** A store that keeps nothing and never claims (no notifications). */
  ThresholdStore NONE =
      new ThresholdStore() {
        @Override
        public boolean claim(ThresholdEvent event) {
          return false;
        }

        @Override
        public void delivered(String eventId, Instant at) {}

        @Override
        public void attempted(String eventId, int attempts) {}

        @Override
        public List<ThresholdEvent> undelivered() {
          return List.of();
        }
      };

  /**
   * Records the event if its id is new and returns true; false when it was recorded before (by this
   * or another instance, in this run or an earlier one). Atomic.
   */
  boolean claim(ThresholdEvent event);

  /** The event's notification was delivered. */
  void delivered(String eventId, Instant at);

  /** The event's notification was tried {@code attempts} times so far without success. */
  void attempted(String eventId, int attempts);

  /** Claimed events not delivered yet (to resume after a restart), oldest first. */
  List<ThresholdEvent> undelivered();
}
