package io.keybrake.core.admission;

import io.keybrake.core.ledger.ReserveRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * {@code Admission} is the store port that lets a call through (DESIGN §5 steps 5 and 6): in one
 * atomic step it claims the call's dedup fingerprint and reserves its estimate in every budget, and
 * hands back a {@link Ticket} that is the only way to finish the call. Thread-safe; shared by every
 * instance using the same store.
 *
 * <p>Asynchronous: every method returns at once, without blocking its caller (a data plane's event
 * loop), and its stage completes when the store answered. <b>Durability:</b> a stage completes
 * normally only once its store work is durable (what that means is the implementation's to state:
 * the embedded store committed it to the write-ahead log of {@code keybrake.db}, the fleet store's
 * script ran on the Redis primary). A data plane therefore forwards an admitted call, or answers a
 * phase, only after the stage completed. When the store cannot answer the stage completes
 * exceptionally with {@link io.keybrake.core.store.StoreUnavailableException} (possibly wrapped in
 * a {@link java.util.concurrent.CompletionException}; see {@link Stages#cause}); callers fail
 * closed. Continuations may run on the store's completion thread and must not block.
 *
 * <p>Shaped like a concurrency limiter's {@code acquire → Optional<Listener>}: the outcome is a
 * value, and only an {@link Admit.Admitted} carries something to finish.
 */
public interface Admission {

  /**
   * Admits a call, atomically for every instance sharing the store:
   *
   * <ul>
   *   <li>with a {@code fingerprint} whose completed twin is live: {@link Admit.Replay};
   *   <li>with a {@code fingerprint} whose twin is in flight: {@link Admit.InFlight} (wait with
   *       {@link #awaitChange} and admit again);
   *   <li>else, when some limit of {@code request} cannot take its amount: {@link Admit.Exhausted},
   *       and nothing is kept (no claim, no reservation);
   *   <li>else the claim (expiring at {@code dedupUntil}) and the reservation are kept, durably,
   *       before the stage completes: {@link Admit.Admitted}.
   * </ul>
   *
   * @param fingerprint the call's dedup fingerprint, or null when the call is not deduplicated
   * @param dedupUntil when a won claim expires; ignored without a fingerprint
   * @param request the reservation; {@link ReserveRequest#at()} is now
   */
  CompletionStage<Admit> admit(String fingerprint, Instant dedupUntil, ReserveRequest request);

  /**
   * Completes when the entry for {@code fingerprint} may have changed (completed, abandoned) or
   * {@code maxWait} passed, whichever comes first; no thread waits meanwhile (the deadline runs on
   * a shared scheduler). Spurious completions are allowed; callers admit again. Completes normally
   * even when the store cannot be asked (the next admit reports that).
   */
  CompletionStage<Void> awaitChange(String fingerprint, Duration maxWait);
}
