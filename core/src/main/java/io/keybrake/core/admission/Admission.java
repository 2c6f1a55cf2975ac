package io.keybrake.core.admission;

import io.keybrake.core.ledger.ReserveRequest;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code Admission} is the store port that lets a call through (DESIGN §5 steps 5 and 6): in one
 * atomic step it claims the call's dedup fingerprint and reserves its estimate in every budget, and
 * hands back a {@link Ticket} that is the only way to finish the call. The step and each finish are
 * durable when they return (what that means is the implementation's to state). Thread-safe; shared
 * by every instance using the same store. When the store cannot answer it throws {@link
 * io.keybrake.core.store.StoreUnavailableException}; callers fail closed.
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
   *   <li>else the claim (expiring at {@code dedupUntil}) and the reservation are kept: {@link
   *       Admit.Admitted}.
   * </ul>
   *
   * @param fingerprint the call's dedup fingerprint, or null when the call is not deduplicated
   * @param dedupUntil when a won claim expires; ignored without a fingerprint
   * @param request the reservation; {@link ReserveRequest#at()} is now
   */
  Admit admit(String fingerprint, Instant dedupUntil, ReserveRequest request);

  /**
   * Blocks until the entry for {@code fingerprint} may have changed (completed, abandoned) or
   * {@code maxWait} passed. Spurious returns are allowed; callers admit again.
   */
  void awaitChange(String fingerprint, Duration maxWait) throws InterruptedException;
}
