package io.keybrake.core.guard;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code GuardCounters} holds the loop and velocity guards' counters where every instance sees
 * them: the SQLite file (embedded) or Redis (fleet). One {@link #count} call is one atomic step
 * over all counters of a call. Thread-safe. When the store cannot answer it throws {@link
 * io.keybrake.core.store.StoreUnavailableException}; the guard then fails closed.
 */
public interface GuardCounters {

  /** No store: every count is zero (for processes and tests without guards). */
  GuardCounters NONE = (keyId, steps, enforce, now) -> new Tally(-1, new long[steps.size()]);

  /**
   * Counts one call of key {@code keyId} in each of {@code steps}, atomically. A step whose {@link
   * Step#once} marker is still alive is skipped (its total is read, not raised). With {@code
   * enforce}, when any counted step would pass its limit nothing is added anywhere and {@link
   * Tally#exceeded()} names the first such step; without it every step is added and {@code
   * exceeded} names the first step now over its limit.
   *
   * @param now the caller's clock; windows and markers expire relative to it
   */
  Tally count(String keyId, List<Step> steps, boolean enforce, Instant now);

  /**
   * One counter to raise.
   *
   * @param counterId the counter, unique per key, rule and window
   * @param amount what to add (1 for a call, micro-dollars for spend)
   * @param limit the most the counter may hold
   * @param expiresAt the end of the counter's window
   * @param once a marker and how long it lives: while it lives, this step is not counted again
   */
  record Step(String counterId, long amount, long limit, Instant expiresAt, Optional<Once> once) {
    public Step {
      Objects.requireNonNull(counterId);
      Objects.requireNonNull(expiresAt);
      Objects.requireNonNull(once);
      if (amount < 0 || limit < 0) {
        throw new IllegalArgumentException("amount and limit must be >= 0");
      }
    }
  }

  /** A marker that makes a step count at most once while it lives. */
  record Once(String markerId, Duration ttl) {
    public Once {
      Objects.requireNonNull(markerId);
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("a marker needs a positive lifetime");
      }
    }
  }

  /**
   * What a count found.
   *
   * @param exceeded the index of the first step over its limit, or -1
   * @param totals each step's counter after the call (unchanged when nothing was added)
   */
  record Tally(int exceeded, long[] totals) {}
}
