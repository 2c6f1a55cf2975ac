package io.keybrake.core.dedup;

import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Instant;

/**
 * A {@link DedupCache} kept in the same store as the {@link io.keybrake.core.ledger.Ledger}, which
 * can therefore do the dedup claim and the reservation (DESIGN §5 steps 5 and 6) as one atomic
 * step, and a 2xx settlement with keeping its response for replay as another: one round trip each
 * instead of two. The meaning is exactly that of the two calls made one after the other; the
 * pipeline wraps a cache that is not one in {@code UnitLedgerDedupCache}. Thread-safe.
 */
public interface LedgerDedupCache extends DedupCache {

  /**
   * Atomically: claims {@code fingerprint} as {@link #claim} does, and only when the claim is won,
   * reserves {@code request} as {@link io.keybrake.core.ledger.Ledger#reserve} does. A won claim
   * whose reservation is refused is not kept (a retry may go once there is room).
   *
   * @return the claim, and the reservation outcome when the claim was won (else null)
   */
  ClaimAndReservation claimAndReserve(
      String fingerprint, Instant now, Instant expiresAt, ReserveRequest request);

  /**
   * Atomically: settles {@code reservationId} at {@code actualMicros} and, while {@code token}
   * still owns the entry, keeps {@code response} for replay.
   */
  void settleAndComplete(
      String reservationId,
      long actualMicros,
      String fingerprint,
      String token,
      StoredResponse response);

  /**
   * What {@link #claimAndReserve} did.
   *
   * @param claim the claim's outcome
   * @param reservation the reservation's outcome when {@code claim} is {@link Claim.Won}, else
   *     null; when it is {@link ReserveOutcome.Exhausted} the claim was not kept
   */
  record ClaimAndReservation(Claim claim, ReserveOutcome reservation) {}
}
