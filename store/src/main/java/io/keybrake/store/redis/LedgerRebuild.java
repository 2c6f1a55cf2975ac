package io.keybrake.store.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.RecordedSpend;
import io.keybrake.core.ledger.SpendRecord;
import io.keybrake.core.store.StoreUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code LedgerRebuild} re-creates the counters of open windows and the reservations behind them
 * from a {@link SpendRecord}, when Redis lost the ledger (its epoch marker {@code
 * kb:{ledger}:epoch} is missing). While the marker is missing every ledger script refuses, on every
 * instance, so no call is reserved — and none forwarded — against half-built counters.
 *
 * <p>One instance rebuilds at a time: it takes the lock {@code kb:{ledger}:rebuild} ({@code SET NX
 * PX}), reads the record, writes every hash with absolute values in batches (each batch checks the
 * lock is still its own and refreshes it), then writes the epoch and drops the lock in one script.
 * A rebuild that dies half-way leaves the marker missing; the next one (after the lock's TTL)
 * writes the same absolute values again. Thread-safe.
 */
public final class LedgerRebuild {
  /** What {@link #run()} found or did. */
  public enum Result {
    /** The marker was there: nothing to do. */
    ALREADY_READY,
    /** This call rebuilt the ledger and wrote the marker. */
    REBUILT,
    /** Another instance holds the rebuild lock; the ledger refuses until it finishes. */
    IN_PROGRESS_ELSEWHERE
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 100;

  private final RedisStore store;
  private final SpendRecord record;

  LedgerRebuild(RedisStore store, SpendRecord record) {
    this.store = store;
    this.record = record;
  }

  /** Rebuilds if the marker is missing; see {@link Result}. */
  public Result run() {
    if (store.call("read the ledger epoch", c -> c.exists(RedisKeys.EPOCH)) > 0) {
      return Result.ALREADY_READY;
    }
    String token = UUID.randomUUID().toString();
    long ttl = store.settings().rebuildLockTtl().toMillis();
    String taken =
        store.call(
            "take the rebuild lock",
            c ->
                c.set(RedisKeys.REBUILD_LOCK, token, io.lettuce.core.SetArgs.Builder.nx().px(ttl)));
    if (!"OK".equals(taken)) {
      return Result.IN_PROGRESS_ELSEWHERE;
    }
    boolean done = false;
    try {
      Instant now = store.clock().instant();
      Map<String, ObjectNode> hashes = hashes(record.openSpend(now), now);
      List<Map.Entry<String, ObjectNode>> all = new ArrayList<>(hashes.entrySet());
      for (int from = 0; from < all.size(); from += BATCH) {
        List<Map.Entry<String, ObjectNode>> batch =
            all.subList(from, Math.min(all.size(), from + BATCH));
        String answer = put(batch, token, ttl, now);
        if ("ready".equals(answer)) {
          done = true;
          return Result.ALREADY_READY;
        }
        if (!"ok".equals(answer)) {
          done = true;
          return Result.IN_PROGRESS_ELSEWHERE;
        }
      }
      String epoch = now.toEpochMilli() + "-" + token;
      String answer = finish(token, epoch);
      done = true;
      return switch (answer) {
        case "ok" -> Result.REBUILT;
        case "ready" -> Result.ALREADY_READY;
        default -> Result.IN_PROGRESS_ELSEWHERE;
      };
    } finally {
      if (!done) {
        try {
          finish(token, "");
        } catch (StoreUnavailableException e) {
          // the lock expires on its own
        }
      }
    }
  }

  private String put(
      List<Map.Entry<String, ObjectNode>> batch, String token, long ttl, Instant now) {
    String[] keys = new String[2 + batch.size()];
    String[] args = new String[3 + batch.size()];
    keys[0] = RedisKeys.EPOCH;
    keys[1] = RedisKeys.REBUILD_LOCK;
    args[0] = token;
    args[1] = Long.toString(ttl);
    args[2] = Long.toString(now.toEpochMilli());
    for (int i = 0; i < batch.size(); i++) {
      keys[2 + i] = batch.get(i).getKey();
      args[3 + i] = batch.get(i).getValue().toString();
    }
    return RedisLedger.str(store.run(Scripts.REBUILD_PUT, keys, args), 0);
  }

  private String finish(String token, String epoch) {
    return RedisLedger.str(
        store.run(
            Scripts.REBUILD_FINISH,
            new String[] {RedisKeys.EPOCH, RedisKeys.REBUILD_LOCK},
            token,
            epoch),
        0);
  }

  /**
   * Every hash to write: counters of open windows with their sums, and the reservations of the
   * record. When Redis still holds part of a ledger (a replica promoted by a failover, fenced by
   * {@code fence.lua}), what it holds that the record cannot know yet is kept: its open
   * reservations (calls in flight, with no audit row yet) count as reserved, and a counter's
   * settled spend is never set below what Redis holds (rows of other instances may still be on
   * their way to the audit log). So a rebuild never counts less than either source.
   */
  private Map<String, ObjectNode> hashes(List<RecordedSpend> spend, Instant now) {
    RedisSettings s = store.settings();
    // counter key -> {settled, reserved, expiry (unix ms, 0 = never)}
    Map<String, long[]> sums = new LinkedHashMap<>();
    Map<String, ObjectNode> out = new LinkedHashMap<>();
    for (RecordedSpend r : spend) {
      Map<String, BudgetLimit> distinct = new LinkedHashMap<>();
      for (BudgetLimit l : r.limits()) {
        distinct.putIfAbsent(l.counterId(), l);
      }
      ObjectNode h = JSON.createObjectNode();
      h.put("state", r.settled() ? "settled" : "reserved");
      h.put("amount", Long.toString(r.micros()));
      if (r.settled()) {
        h.put("actual", Long.toString(r.micros()));
      }
      h.put("spent", Long.toString(r.micros()));
      h.put("limit", "0");
      h.put("n", Integer.toString(distinct.size()));
      int i = 0;
      for (BudgetLimit l : distinct.values()) {
        i++;
        long expiry = Expiries.counter(l, s.windowGrace());
        h.put("c" + i, RedisKeys.counter(l.counterId()));
        h.put("x" + i, Long.toString(expiry));
        if (l.windowEnd().isAfter(now)) {
          long[] sum =
              sums.computeIfAbsent(
                  RedisKeys.counter(l.counterId()), k -> new long[] {0, 0, expiry});
          sum[r.settled() ? 0 : 1] += r.micros();
        }
      }
      h.put(
          "_x",
          Long.toString(
              Expiries.reservation(
                  distinct.values(), now, s.reservationRetention(), s.windowGrace())));
      out.put(RedisKeys.reservation(r.reservationId()), h);
    }
    keepSurvivingOpenReservations(out.keySet(), sums, now);
    for (Map.Entry<String, long[]> e : sums.entrySet()) {
      String held = store.call("read a counter", c -> c.hget(e.getKey(), "settled"));
      long settled = e.getValue()[0];
      if (held != null) {
        settled = Math.max(settled, Long.parseLong(held));
      }
      ObjectNode h = JSON.createObjectNode();
      h.put("settled", Long.toString(settled));
      h.put("reserved", Long.toString(e.getValue()[1]));
      h.put("_x", Long.toString(e.getValue()[2]));
      out.put(e.getKey(), h);
    }
    return out;
  }

  /**
   * Adds to {@code sums} the open reservations Redis still lists that the record does not know
   * (their hashes stay as they are, and in the open set for the stale sweep).
   */
  private void keepSurvivingOpenReservations(
      java.util.Set<String> known, Map<String, long[]> sums, Instant now) {
    List<String> open = store.call("list open reservations", c -> c.zrange(RedisKeys.OPEN, 0, -1));
    for (String hash : open) {
      if (known.contains(hash)) {
        continue;
      }
      Map<String, String> f = store.call("read a reservation", c -> c.hgetall(hash));
      if (!"reserved".equals(f.get("state")) || f.get("amount") == null || f.get("n") == null) {
        continue;
      }
      long amount = Long.parseLong(f.get("amount"));
      int n = Integer.parseInt(f.get("n"));
      for (int i = 1; i <= n; i++) {
        String counter = f.get("c" + i);
        long expiry = Long.parseLong(f.getOrDefault("x" + i, "0"));
        if (counter == null || (expiry != 0 && expiry <= now.toEpochMilli())) {
          continue;
        }
        sums.computeIfAbsent(counter, k -> new long[] {0, 0, expiry})[1] += amount;
      }
    }
  }
}
