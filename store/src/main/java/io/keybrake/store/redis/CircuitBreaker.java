package io.keybrake.store.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code CircuitBreaker} stops calling a store that keeps failing: after {@code failures}
 * consecutive failures it opens and refuses every call for {@code coolDown}; then it half-opens and
 * lets exactly one probe through, which closes it on success or opens it again on failure.
 * Thread-safe; the closed path is one volatile read.
 */
final class CircuitBreaker {
  /** The breaker's position. */
  enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  private final int threshold;
  private final long coolDownMillis;
  private final Clock clock;
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private volatile State state = State.CLOSED;
  private long openedAtMillis; // guarded by this

  CircuitBreaker(int threshold, Duration coolDown, Clock clock) {
    this.threshold = threshold;
    this.coolDownMillis = coolDown.toMillis();
    this.clock = clock;
  }

  /** Whether a call may go now; in half-open state only the first caller gets {@code true}. */
  boolean allow() {
    if (state == State.CLOSED) {
      return true;
    }
    synchronized (this) {
      if (state == State.CLOSED) {
        return true;
      }
      if (state == State.OPEN && clock.millis() - openedAtMillis >= coolDownMillis) {
        state = State.HALF_OPEN;
        return true;
      }
      return false;
    }
  }

  /** The store answered. */
  void onSuccess() {
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0);
    }
    if (state != State.CLOSED) {
      synchronized (this) {
        state = State.CLOSED;
      }
    }
  }

  /** The store did not answer (timeout, connection lost). */
  void onFailure() {
    int n = consecutiveFailures.incrementAndGet();
    if (state == State.HALF_OPEN || n >= threshold) {
      synchronized (this) {
        state = State.OPEN;
        openedAtMillis = clock.millis();
      }
    }
  }

  /**
   * The call ended without telling whether the store works (the caller was interrupted). A probe
   * that ends so hands the next caller the chance to probe.
   */
  void onAbandoned() {
    if (state == State.HALF_OPEN) {
      synchronized (this) {
        if (state == State.HALF_OPEN) {
          state = State.OPEN;
          openedAtMillis = clock.millis() - coolDownMillis;
        }
      }
    }
  }

  State state() {
    return state;
  }
}
