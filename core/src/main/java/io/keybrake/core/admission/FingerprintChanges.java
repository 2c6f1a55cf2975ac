package io.keybrake.core.admission;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Waiters for a change of a dedup entry, without a thread parked per waiter: {@link #next} hands
 * out a stage that {@link #wake} completes, or the JDK's shared delay scheduler after a bound. A
 * waiter that timed out drops the shared signal; others waiting on it then fall back to their own
 * bound (callers poll; spurious and late wake-ups are allowed). Thread-safe.
 */
public final class FingerprintChanges {
  private final ConcurrentMap<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();

  /** Completes on the next {@link #wake} of {@code fingerprint}, or after {@code maxWait}. */
  public CompletableFuture<Void> next(String fingerprint, Duration maxWait) {
    CompletableFuture<Void> signal =
        waiters.computeIfAbsent(fingerprint, f -> new CompletableFuture<>());
    CompletableFuture<Void> mine = new CompletableFuture<>();
    signal.whenComplete((v, e) -> mine.complete(null));
    mine.completeOnTimeout(null, Math.max(0, maxWait.toNanos()), TimeUnit.NANOSECONDS)
        .whenComplete((v, e) -> waiters.remove(fingerprint, signal));
    return mine;
  }

  /** Wakes every waiter of {@code fingerprint} (on the calling thread). */
  public void wake(String fingerprint) {
    CompletableFuture<Void> signal = waiters.remove(fingerprint);
    if (signal != null) {
      signal.complete(null);
    }
  }

  /** Fingerprints with a waiter now (for tests). */
  int waiting() {
    return waiters.size();
  }
}
