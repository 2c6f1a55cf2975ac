package io.keybrake.store.redis;

import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code RedisAdmission} is the fleet's {@link Admission}, over the {@link RedisDedupCache} and
 * {@link RedisLedger} of one {@link RedisStore}: a deduplicated call is claimed and reserved by one
 * script ({@code claim_reserve.lua}), and settled with its response kept for replay by another
 * ({@code settle_complete.lua}), one round trip each; a call without dedup is reserved and finished
 * by the ledger's own scripts. An answer lost on the way back is compensated ({@link
 * Compensations}) and the call refused. Durable means acknowledged by the Redis primary (in its
 * memory, and on disk as far as its own persistence settings go); a Redis that lost the ledger is
 * rebuilt from the audit log before it serves again. The work alongside a finish (the audit row)
 * runs right after it succeeds. Thread-safe; closing is the owner's business (the cache and the
 * ledger are closed by theirs).
 *
 * <p>Asynchronous towards its callers: {@link #admit} and a settlement go through lettuce's
 * asynchronous API (same scripts, deadline, breaker and fencing as {@link RedisStore} applies to
 * every command), so no thread waits for Redis; only the audit row alongside a finish (the forced
 * write-ahead append) runs on {@link Stages#blocking()}, never on the caller's event loop. A
 * settlement Redis did not take at once (a fault, a lost answer, a rebuild, a reservation a
 * failover lost), and every release and keep-unsettled, run there with their retries. Each stage
 * completes only once the script ran on the primary (and, for a finish, the row alongside was
 * written).
 */
public final class RedisAdmission implements Admission {
  private final RedisStore store;
  private final RedisDedupCache cache;
  private final RedisLedger ledger;

  /** Combines {@code cache} and {@code ledger}, which must use the same {@code store}. */
  public RedisAdmission(RedisStore store, RedisDedupCache cache, RedisLedger ledger) {
    this.store = Objects.requireNonNull(store);
    this.cache = Objects.requireNonNull(cache);
    this.ledger = Objects.requireNonNull(ledger);
  }

  /**
   * Sends the script through lettuce's asynchronous API: no thread waits for Redis; the stage
   * completes on lettuce's event loop once the script ran on the primary (or failed: deadline,
   * breaker, a lost answer, which is compensated).
   */
  @Override
  public CompletionStage<Admit> admit(
      String fingerprint, Instant dedupUntil, ReserveRequest request) {
    if (fingerprint == null) {
      return ledger.reserveAsync(request).thenApply(o -> admitted(o, null, null));
    }
    RedisLedger.ReserveCall call = ledger.reserveCall(request);
    String[] claimArgs = RedisDedupCache.claimArgs(request.at(), dedupUntil);
    String[] keys = Arrays.copyOf(call.keys(), call.keys().length + 1);
    keys[keys.length - 1] = RedisKeys.dedup(fingerprint);
    String[] args = Arrays.copyOf(call.args(), call.args().length + claimArgs.length);
    System.arraycopy(claimArgs, 0, args, call.args().length, claimArgs.length);
    return store
        .runAsync(Scripts.CLAIM_RESERVE, keys, args)
        .handle(
            (out, failure) -> {
              if (failure != null) {
                Throwable cause = Stages.cause(failure);
                if (cause instanceof AnswerLostException) {
                  ledger.compensateLost(request.reservationId(), fingerprint, claimArgs[0]);
                }
                throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
              }
              String verdict = RedisLedger.str(out, 0);
              if (verdict.equals("inflight") || verdict.equals("completed")) {
                Claim claim = cache.claimOutcome(fingerprint, claimArgs[0], out);
                return claim instanceof Claim.Completed done
                    ? new Admit.Replay(done.response())
                    : new Admit.InFlight();
              }
              // the claim was won (and given up by the script when the reservation was refused)
              cache.wake(fingerprint);
              return admitted(ledger.outcome(call, out), fingerprint, claimArgs[0]);
            });
  }

  private Admit admitted(ReserveOutcome outcome, String fingerprint, String token) {
    if (outcome instanceof ReserveOutcome.Exhausted no) {
      return Admit.Exhausted.of(no);
    }
    return new Admit.Admitted(
        new RedisTicket((ReserveOutcome.Reserved) outcome, fingerprint, token));
  }

  @Override
  public CompletionStage<Void> awaitChange(String fingerprint, Duration maxWait) {
    return cache.changed(fingerprint, maxWait);
  }

  /** A settling script with its keys and arguments. */
  private record SettleCall(LuaScript script, String[] keys, String[] args) {}

  /** One admitted call in Redis. */
  private final class RedisTicket extends Ticket {
    private final String fingerprint;
    private final String token;

    RedisTicket(ReserveOutcome.Reserved reservation, String fingerprint, String token) {
      super(reservation);
      this.fingerprint = fingerprint;
      this.token = token;
    }

    @Override
    protected CompletionStage<Void> onSettle(
        long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
      if (token != null && response == null) {
        return CompletableFuture.runAsync(
            () -> settleNow(actualMicros, priceFinal, null, alongside), Stages.blocking());
      }
      String rid = reservation().reservationId();
      SettleCall call = settleCall(actualMicros, priceFinal, response);
      return store
          .runAsync(call.script(), call.keys(), call.args())
          .handle((out, failure) -> failure == null ? RedisLedger.str(out, 0) : null)
          .thenComposeAsync(
              answer -> {
                if (answer == null || answer.equals("unknown") || answer.equals("rebuilding")) {
                  // not taken at once: again, patiently, as a blocking finish does
                  settleNow(actualMicros, priceFinal, response, alongside);
                } else {
                  ledger.forget(rid);
                  if (token != null) {
                    cache.wake(fingerprint);
                  }
                  alongside.run();
                }
                return Stages.done();
              },
              Stages.blocking());
    }

    private void settleNow(
        long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
      String rid = reservation().reservationId();
      if (token == null) {
        ledger.settle(rid, actualMicros, priceFinal);
      } else if (response == null) {
        ledger.settle(rid, actualMicros, priceFinal);
        cache.abandon(fingerprint, token);
      } else {
        SettleCall call = settleCall(actualMicros, priceFinal, response);
        ledger.patiently(
            "settle reservation " + rid,
            rid,
            () -> ledger.finishOnce(call.script(), call.keys(), call.args(), rid));
        cache.wake(fingerprint);
      }
      alongside.run();
    }

    /**
     * The script that settles this call at once: {@code finish.lua} without a dedup claim, {@code
     * settle_complete.lua} (the settlement and the response kept for replay) with one.
     */
    private SettleCall settleCall(long actualMicros, boolean priceFinal, StoredResponse response) {
      String rid = reservation().reservationId();
      String[] finishKeys = RedisLedger.finishKeys(rid);
      String[] finishArgs = ledger.finishArgs(actualMicros, "settled", priceFinal);
      if (token == null) {
        return new SettleCall(Scripts.FINISH, finishKeys, finishArgs);
      }
      String[] keys = {finishKeys[0], finishKeys[1], RedisKeys.dedup(fingerprint)};
      String[] completeArgs = RedisDedupCache.completeArgs(fingerprint, token, response);
      String[] args = Arrays.copyOf(finishArgs, finishArgs.length + completeArgs.length);
      System.arraycopy(completeArgs, 0, args, finishArgs.length, completeArgs.length);
      return new SettleCall(Scripts.SETTLE_COMPLETE, keys, args);
    }

    @Override
    protected CompletionStage<Void> onRelease(Runnable alongside) {
      return CompletableFuture.runAsync(
          () -> {
            ledger.release(reservation().reservationId());
            if (token != null) {
              cache.abandon(fingerprint, token);
            }
            alongside.run();
          },
          Stages.blocking());
    }

    @Override
    protected CompletionStage<Void> onKeepUnsettled(boolean letRetry, Runnable alongside) {
      return CompletableFuture.runAsync(
          () -> {
            ledger.markUnsettled(reservation().reservationId());
            if (letRetry && token != null) {
              cache.abandon(fingerprint, token);
            }
            alongside.run();
          },
          Stages.blocking());
    }
  }
}
