package io.keybrake.store.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.keybrake.core.admission.FingerprintChanges;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.store.StoreUnavailableException;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code RedisDedupCache} keeps dedup entries in Redis, shared by every instance. {@link #claim} is
 * one script (an in-flight entry with a fresh token and a TTL to {@code expiresAt}, unless a live
 * entry exists); {@link #complete} stores the 2xx response and {@link #abandon} deletes the entry,
 * both only while the caller's token still owns it, and both publish the fingerprint on {@code
 * kb:dedup:changed} when a waiter marked the entry in {@link #awaitChange} (the common path, with
 * no duplicate, publishes nothing). {@link #awaitChange} wakes on that message, and looks at Redis
 * again at least every {@link RedisSettings#dedupPoll()} in case a message was lost. Entries expire
 * by {@code expiresAt} (compared with the caller's {@code now}) and by a Redis TTL. Thread-safe;
 * {@link #close()} drops the subscription.
 */
public final class RedisDedupCache implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_TTL_MILLIS = Duration.ofDays(3650).toMillis();

  private final RedisStore store;
  private final StatefulRedisPubSubConnection<String, String> changes;
  private final ConcurrentMap<String, CountDownLatch> waiters = new ConcurrentHashMap<>();
  private final FingerprintChanges changeWaiters = new FingerprintChanges();

  /**
   * A cache over {@code store}; subscribes to the change channel now.
   *
   * @throws StoreUnavailableException if the subscription cannot be made
   */
  public RedisDedupCache(RedisStore store) {
    this.store = Objects.requireNonNull(store);
    this.changes = store.connectPubSub();
    changes.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String fingerprint) {
            wake(fingerprint);
          }
        });
    try {
      changes
          .async()
          .subscribe(RedisKeys.DEDUP_CHANNEL)
          .get(store.settings().commandTimeout().toMillis() * 10, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      changes.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new StoreUnavailableException("cannot subscribe to dedup changes", e);
    }
  }

  public Claim claim(String fingerprint, Instant now, Instant expiresAt) {
    String[] args = claimArgs(now, expiresAt);
    List<Object> out =
        store.run(Scripts.DEDUP_CLAIM, new String[] {RedisKeys.dedup(fingerprint)}, args);
    return claimOutcome(fingerprint, args[0], out);
  }

  /** {@code dedup_claim.lua}'s four arguments, the first a fresh token. */
  static String[] claimArgs(Instant now, Instant expiresAt) {
    long ttlMillis =
        Math.max(1, Math.min(MAX_TTL_MILLIS, Duration.between(now, expiresAt).toMillis()));
    return new String[] {
      UUID.randomUUID().toString(),
      Long.toString(micros(now)),
      Long.toString(micros(expiresAt)),
      Long.toString(ttlMillis)
    };
  }

  /** Reads {@code dedup_claim.lua}'s answer. */
  Claim claimOutcome(String fingerprint, String token, List<Object> out) {
    String verdict = RedisLedger.str(out, 0);
    switch (verdict) {
      case "won":
        // a dead entry may have been replaced: whoever waited on it should look again
        wake(fingerprint);
        return new Claim.Won(token);
      case "inflight":
        return new Claim.InFlight();
      case "completed":
        return new Claim.Completed(
            new StoredResponse(
                (int) RedisLedger.num(out, 1),
                headers(RedisLedger.str(out, 2)),
                Base64.getDecoder().decode(RedisLedger.str(out, 3))));
      default:
        throw new StoreUnavailableException("unexpected answer of the claim script: " + verdict);
    }
  }

  public void complete(String fingerprint, String token, StoredResponse response) {
    store.run(
        Scripts.DEDUP_COMPLETE,
        new String[] {RedisKeys.dedup(fingerprint)},
        completeArgs(fingerprint, token, response));
    wake(fingerprint);
  }

  /** {@code dedup_complete.lua}'s six arguments. */
  static String[] completeArgs(String fingerprint, String token, StoredResponse response) {
    return new String[] {
      token,
      Integer.toString(response.status()),
      headers(response.headers()),
      Base64.getEncoder().encodeToString(response.body()),
      RedisKeys.DEDUP_CHANNEL,
      fingerprint
    };
  }

  public void abandon(String fingerprint, String token) {
    store.run(
        Scripts.DEDUP_ABANDON,
        new String[] {RedisKeys.dedup(fingerprint)},
        token,
        RedisKeys.DEDUP_CHANNEL,
        fingerprint);
    wake(fingerprint);
  }

  public void awaitChange(String fingerprint, Duration maxWait) throws InterruptedException {
    CountDownLatch latch = waiters.computeIfAbsent(fingerprint, f -> new CountDownLatch(1));
    // the entry may have changed between the caller's claim and registering the latch
    String state =
        RedisLedger.str(
            store.run(Scripts.DEDUP_WATCH, new String[] {RedisKeys.dedup(fingerprint)}), 0);
    try {
      if ("inflight".equals(state)) {
        long wait =
            Math.min(Math.max(0, maxWait.toNanos()), store.settings().dedupPoll().toNanos());
        latch.await(wait, TimeUnit.NANOSECONDS);
      }
    } finally {
      // other waiters on the same latch fall back to polling
      waiters.remove(fingerprint, latch);
    }
  }

  /** Drops the change subscription. */
  @Override
  public void close() {
    changes.close();
  }

  /**
   * Completes when the entry for {@code fingerprint} may have changed (the change message), or
   * after {@code maxWait} or {@link RedisSettings#dedupPoll()}, whichever is first; no thread waits
   * meanwhile. Marks the entry as watched first (so its completion is published), and completes at
   * once when it is no longer in flight.
   */
  public CompletionStage<Void> changed(String fingerprint, Duration maxWait) {
    Duration bound =
        maxWait.compareTo(store.settings().dedupPoll()) < 0
            ? maxWait
            : store.settings().dedupPoll();
    CompletableFuture<Void> next = changeWaiters.next(fingerprint, bound);
    CompletableFuture.supplyAsync(
            () -> store.run(Scripts.DEDUP_WATCH, new String[] {RedisKeys.dedup(fingerprint)}),
            Stages.blocking())
        .whenComplete(
            (out, failure) -> {
              if (failure != null || !"inflight".equals(RedisLedger.str(out, 0))) {
                changeWaiters.wake(fingerprint); // the next admit reports a store that failed
              }
            });
    return next;
  }

  void wake(String fingerprint) {
    changeWaiters.wake(fingerprint);
    CountDownLatch latch = waiters.remove(fingerprint);
    if (latch != null) {
      latch.countDown();
    }
  }

  private static long micros(Instant at) {
    try {
      return Math.addExact(
          Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1000);
    } catch (ArithmeticException e) {
      return at.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static String headers(List<Map.Entry<String, String>> headers) {
    ArrayNode a = JSON.createArrayNode();
    for (Map.Entry<String, String> h : headers) {
      a.addArray().add(h.getKey()).add(h.getValue());
    }
    return a.toString();
  }

  private static List<Map.Entry<String, String>> headers(String json) {
    try {
      List<Map.Entry<String, String>> out = new ArrayList<>();
      for (JsonNode h : JSON.readTree(json)) {
        out.add(Map.entry(h.get(0).asText(), h.get(1).asText()));
      }
      return out;
    } catch (JsonProcessingException e) {
      throw new StoreUnavailableException("a stored dedup response has unreadable headers", e);
    }
  }
}
