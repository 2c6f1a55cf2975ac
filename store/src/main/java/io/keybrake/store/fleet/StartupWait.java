package io.keybrake.store.fleet;

import io.keybrake.core.store.StoreUnavailableException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code StartupWait} lets a starting instance wait for the services it needs (Redis, PostgreSQL),
 * the way an orchestrated service starts next to them: each attempt that fails with {@link
 * StoreUnavailableException} is logged with its cause and tried again after a growing pause (200
 * ms, doubling, at most 2 s), until one deadline shared by every step passes; then the last cause
 * is thrown. Not thread-safe: one start uses it.
 */
final class StartupWait {
  private static final Logger log = LoggerFactory.getLogger(StartupWait.class);
  private static final long FIRST_PAUSE_MILLIS = 200;
  private static final long MAX_PAUSE_MILLIS = 2_000;

  private final Duration bound;
  private final long deadlineNanos;

  /** A wait of at most {@code bound} in all, from now. */
  StartupWait(Duration bound) {
    this.bound = bound;
    this.deadlineNanos = System.nanoTime() + bound.toNanos();
  }

  /**
   * Runs {@code attempt} until it returns, or the deadline passes.
   *
   * @param what what is waited for, for the log ("PostgreSQL", "Redis")
   * @throws StoreUnavailableException naming {@code what} and the last cause, once the deadline
   *     passed
   */
  <T> T until(String what, Supplier<T> attempt) {
    long pause = FIRST_PAUSE_MILLIS;
    for (int n = 1; ; n++) {
      try {
        T value = attempt.get();
        if (n > 1) {
          log.info("{} is ready (attempt {})", what, n);
        }
        return value;
      } catch (StoreUnavailableException e) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          throw new StoreUnavailableException(
              what + " not ready after " + bound.toSeconds() + " s: " + e.getMessage(), e);
        }
        log.warn(
            "waiting for {} (attempt {}, {} s left of KEYBRAKE_STARTUP_WAIT): {}",
            what,
            n,
            Math.max(1, left / 1_000_000_000L),
            e.getMessage());
        pause(Math.min(pause, left / 1_000_000 + 1));
        pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a service at start", e);
    }
  }
}
