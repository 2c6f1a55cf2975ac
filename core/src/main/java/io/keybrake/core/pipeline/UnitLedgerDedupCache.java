package io.keybrake.core.pipeline;

import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.DedupCache;
import io.keybrake.core.dedup.ForwardingDedupCache;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Instant;
import java.util.Objects;

/**
 * The combined steps of a store that offers none of its own: each is its two calls run inside one
 * {@link UnitOfWork} (the embedded store: one SQLite transaction and commit instead of two; with
 * {@link UnitOfWork#NONE}, the two calls one after the other). {@link DecisionPipeline} wraps any
 * plain {@link DedupCache} in one. Thread-safe when its parts are.
 */
public final class UnitLedgerDedupCache extends ForwardingDedupCache {
  private final DedupCache dedup;
  private final Ledger ledger;
  private final UnitOfWork unit;

  public UnitLedgerDedupCache(DedupCache dedup, Ledger ledger, UnitOfWork unit) {
    super(dedup);
    this.dedup = dedup;
    this.ledger = Objects.requireNonNull(ledger);
    this.unit = Objects.requireNonNull(unit);
  }

  @Override
  public ClaimAndReservation claimAndReserve(
      String fingerprint, Instant now, Instant expiresAt, ReserveRequest request) {
    return unit.inOne(
        "claim and reserve",
        () -> {
          Claim claim = dedup.claim(fingerprint, now, expiresAt);
          if (!(claim instanceof Claim.Won won)) {
            return new ClaimAndReservation(claim, null);
          }
          ReserveOutcome reservation = ledger.reserve(request);
          if (reservation instanceof ReserveOutcome.Exhausted) {
            dedup.abandon(fingerprint, won.token());
          }
          return new ClaimAndReservation(claim, reservation);
        });
  }

  @Override
  public void settleAndComplete(
      String reservationId,
      long actualMicros,
      String fingerprint,
      String token,
      StoredResponse response) {
    unit.inOne(
        "settle and keep the response",
        () -> {
          ledger.settle(reservationId, actualMicros);
          dedup.complete(fingerprint, token, response);
          return null;
        });
  }
}
