package io.keybrake.store.redis;

import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.ForwardingDedupCache;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * {@code RedisDedupLedger} is the fleet's {@link RedisDedupCache} and {@link RedisLedger} (one
 * {@link RedisStore}) offering the pipeline's combined steps: claim and reserve in one script
 * ({@code claim_reserve.lua}), settle and keep the response in another ({@code
 * settle_complete.lua}). Each has exactly the meaning of its two single scripts run back to back,
 * in one round trip. Thread-safe; closing is the owner's business (the cache and the ledger are
 * closed by theirs).
 */
public final class RedisDedupLedger extends ForwardingDedupCache {
  private final RedisStore store;
  private final RedisDedupCache cache;
  private final RedisLedger ledger;

  /** Combines {@code cache} and {@code ledger}, which must use the same {@code store}. */
  public RedisDedupLedger(RedisStore store, RedisDedupCache cache, RedisLedger ledger) {
    super(cache);
    this.store = Objects.requireNonNull(store);
    this.cache = cache;
    this.ledger = Objects.requireNonNull(ledger);
  }

  @Override
  public ClaimAndReservation claimAndReserve(
      String fingerprint, Instant now, Instant expiresAt, ReserveRequest request) {
    RedisLedger.ReserveCall call = ledger.reserveCall(request);
    String[] claimArgs = RedisDedupCache.claimArgs(now, expiresAt);
    String[] keys = Arrays.copyOf(call.keys(), call.keys().length + 1);
    keys[keys.length - 1] = RedisKeys.dedup(fingerprint);
    String[] args = Arrays.copyOf(call.args(), call.args().length + claimArgs.length);
    System.arraycopy(claimArgs, 0, args, call.args().length, claimArgs.length);
    List<Object> out;
    try {
      out = store.run(Scripts.CLAIM_RESERVE, keys, args);
    } catch (AnswerLostException e) {
      ledger.compensateLost(request.reservationId(), fingerprint, claimArgs[0]);
      throw e;
    }
    String verdict = RedisLedger.str(out, 0);
    if (verdict.equals("inflight") || verdict.equals("completed")) {
      return new ClaimAndReservation(cache.claimOutcome(fingerprint, claimArgs[0], out), null);
    }
    // the claim was won; reserve.lua answered
    Claim.Won won = new Claim.Won(claimArgs[0]);
    cache.wake(fingerprint);
    return new ClaimAndReservation(won, ledger.outcome(call, out));
  }

  @Override
  public void settleAndComplete(
      String reservationId,
      long actualMicros,
      String fingerprint,
      String token,
      StoredResponse response) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    String[] finishKeys = RedisLedger.finishKeys(reservationId);
    String[] keys = {finishKeys[0], finishKeys[1], RedisKeys.dedup(fingerprint)};
    String[] finishArgs = ledger.finishArgs(actualMicros, "settled");
    String[] completeArgs = RedisDedupCache.completeArgs(fingerprint, token, response);
    String[] args = Arrays.copyOf(finishArgs, finishArgs.length + completeArgs.length);
    System.arraycopy(completeArgs, 0, args, finishArgs.length, completeArgs.length);
    ledger.patiently(
        "settle reservation " + reservationId,
        reservationId,
        () -> ledger.finishOnce(Scripts.SETTLE_COMPLETE, keys, args, reservationId));
    cache.wake(fingerprint);
  }
}
