package io.keybrake.cli.metrics;

import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.DedupCache;
import io.keybrake.core.dedup.LedgerDedupCache;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BiConsumer;

/**
 * A {@link DedupCache} whose calls are timed with the ledger's (in a fleet both live in Redis).
 * {@link #wrap} keeps the combined steps of a {@link LedgerDedupCache}, so the pipeline still uses
 * one store round trip for claim + reserve. Same meaning and thread-safety as the cache it wraps.
 */
class MeteredDedupCache implements DedupCache {
  private final DedupCache cache;
  final StoreCallMeters meters;

  MeteredDedupCache(DedupCache cache, StoreCallMeters meters) {
    this.cache = cache;
    this.meters = meters;
  }

  /** The metered cache; a {@link LedgerDedupCache} stays one. */
  static DedupCache wrap(
      DedupCache cache,
      StoreCallMeters meters,
      BiConsumer<ReserveRequest, ReserveOutcome> reserved) {
    return cache instanceof LedgerDedupCache both
        ? new Combined(both, meters, reserved)
        : new MeteredDedupCache(cache, meters);
  }

  @Override
  public Claim claim(String fingerprint, Instant now, Instant expiresAt) {
    return meters.time("claim", () -> cache.claim(fingerprint, now, expiresAt));
  }

  @Override
  public void complete(String fingerprint, String token, StoredResponse response) {
    meters.run("complete", () -> cache.complete(fingerprint, token, response));
  }

  @Override
  public void abandon(String fingerprint, String token) {
    meters.run("abandon", () -> cache.abandon(fingerprint, token));
  }

  @Override
  public void awaitChange(String fingerprint, Duration maxWait) throws InterruptedException {
    cache.awaitChange(fingerprint, maxWait);
  }

  /** The combined steps, timed as {@code claim_reserve} and {@code settle_complete}. */
  private static final class Combined extends MeteredDedupCache implements LedgerDedupCache {
    private final LedgerDedupCache both;
    private final BiConsumer<ReserveRequest, ReserveOutcome> reserved;

    Combined(
        LedgerDedupCache both,
        StoreCallMeters meters,
        BiConsumer<ReserveRequest, ReserveOutcome> reserved) {
      super(both, meters);
      this.both = both;
      this.reserved = reserved;
    }

    @Override
    public ClaimAndReservation claimAndReserve(
        String fingerprint, Instant now, Instant expiresAt, ReserveRequest request) {
      ClaimAndReservation cr =
          meters.time(
              "claim_reserve", () -> both.claimAndReserve(fingerprint, now, expiresAt, request));
      if (cr.reservation() != null) {
        reserved.accept(request, cr.reservation());
      }
      return cr;
    }

    @Override
    public void settleAndComplete(
        String reservationId,
        long actualMicros,
        String fingerprint,
        String token,
        StoredResponse response) {
      meters.run(
          "settle_complete",
          () -> both.settleAndComplete(reservationId, actualMicros, fingerprint, token, response));
    }
  }
}
