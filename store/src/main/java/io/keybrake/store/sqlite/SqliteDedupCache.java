package io.keybrake.store.sqlite;

import io.keybrake.core.admission.FingerprintChanges;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.store.json.JsonColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code SqliteDedupCache} keeps dedup entries in the embedded SQLite file. {@link #claim} is one
 * {@code BEGIN IMMEDIATE} transaction, one conditional upsert when the fingerprint is free; waiters
 * are woken through an in-process latch per fingerprint, which is enough because the embedded store
 * serves one process. Thread-safe.
 */
public final class SqliteDedupCache {
  private static final String FIND =
      "SELECT state, expires_at, status, headers, body FROM dedup WHERE fingerprint = ?";

  /** Claims the entry unless a live one holds it (no row changed then). */
  private static final String CLAIM =
      "INSERT INTO dedup (fingerprint, token, state, expires_at) VALUES (?, ?, 'inflight', ?)"
          + " ON CONFLICT (fingerprint) DO UPDATE SET token = excluded.token, state = 'inflight',"
          + " expires_at = excluded.expires_at, status = NULL, headers = NULL, body = NULL"
          + " WHERE dedup.expires_at <= ?";

  private static final String COMPLETE =
      "UPDATE dedup SET state = 'completed', status = ?, headers = ?, body = ?"
          + " WHERE fingerprint = ? AND token = ? AND state = 'inflight'";
  private static final String ABANDON = "DELETE FROM dedup WHERE fingerprint = ? AND token = ?";
  private static final String STATE = "SELECT state FROM dedup WHERE fingerprint = ?";

  /**
   * Entries one purge transaction deletes. An entry holds its stored response (about 1.3 KB for a
   * Twilio message): a batch of 1,000 took 11-14 ms on a quiet machine and more under load, and a
   * call's own write waits for the batch it queues behind; a batch of 200 takes about 2 ms.
   */
  private static final int PURGE_BATCH = 200;

  private static final String PURGE =
      "DELETE FROM dedup WHERE rowid IN (SELECT rowid FROM dedup WHERE expires_at <= ? LIMIT "
          + PURGE_BATCH
          + ")";

  private final SqliteDatabase db;
  private final ConcurrentMap<String, CountDownLatch> waiters = new ConcurrentHashMap<>();
  private final FingerprintChanges changes = new FingerprintChanges();

  public SqliteDedupCache(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  public Claim claim(String fingerprint, Instant now, Instant expiresAt) {
    long nowNanos = epochNanos(now);
    Claim claim =
        db.write(
            "claim a dedup entry",
            s -> {
              String token = UUID.randomUUID().toString();
              PreparedStatement put = s.prepare(CLAIM);
              put.setString(1, fingerprint);
              put.setString(2, token);
              put.setLong(3, epochNanos(expiresAt));
              put.setLong(4, nowNanos);
              if (put.executeUpdate() == 1) {
                return new Claim.Won(token);
              }
              PreparedStatement find = s.prepare(FIND); // a live entry holds the fingerprint
              find.setString(1, fingerprint);
              try (ResultSet rs = find.executeQuery()) {
                if (!rs.next()) {
                  throw new SQLException("dedup entry vanished inside its transaction");
                }
                if ("inflight".equals(rs.getString(1))) {
                  return new Claim.InFlight();
                }
                return new Claim.Completed(
                    new StoredResponse(
                        rs.getInt(3), JsonColumns.headers(rs.getString(4)), rs.getBytes(5)));
              }
            });
    if (claim instanceof Claim.Won) {
      // a dead entry may have been replaced: whoever waited on it should look again
      wake(fingerprint);
    }
    return claim;
  }

  public void complete(String fingerprint, String token, StoredResponse response) {
    db.write(
        "complete a dedup entry",
        s -> {
          PreparedStatement ps = s.prepare(COMPLETE);
          ps.setInt(1, response.status());
          ps.setString(2, JsonColumns.headers(response.headers()));
          ps.setBytes(3, response.body());
          ps.setString(4, fingerprint);
          ps.setString(5, token);
          return ps.executeUpdate();
        });
    wake(fingerprint);
  }

  public void abandon(String fingerprint, String token) {
    db.write(
        "abandon a dedup entry",
        s -> {
          PreparedStatement ps = s.prepare(ABANDON);
          ps.setString(1, fingerprint);
          ps.setString(2, token);
          return ps.executeUpdate();
        });
    wake(fingerprint);
  }

  public void awaitChange(String fingerprint, Duration maxWait) throws InterruptedException {
    CountDownLatch latch = waiters.computeIfAbsent(fingerprint, f -> new CountDownLatch(1));
    // the entry may have changed between the caller's claim and registering the latch
    if (!stillInFlight(fingerprint)) {
      return;
    }
    latch.await(Math.max(0, maxWait.toNanos()), TimeUnit.NANOSECONDS);
  }

  /**
   * Deletes entries that expired by {@code now}, in small transactions ({@link
   * SqliteDatabase#deleteInBatches}).
   *
   * @return how many were deleted
   */
  public int purgeExpired(Instant now) {
    return db.deleteInBatches(
        "purge dedup entries",
        PURGE_BATCH,
        s -> {
          PreparedStatement ps = s.prepare(PURGE);
          ps.setLong(1, epochNanos(now));
          return ps.executeUpdate();
        });
  }

  /** Whether a thread waits on {@code fingerprint} (tests). */
  boolean hasWaiter(String fingerprint) {
    return waiters.containsKey(fingerprint);
  }

  private boolean stillInFlight(String fingerprint) {
    return db.read(
        "read a dedup entry",
        s -> {
          PreparedStatement ps = s.prepare(STATE);
          ps.setString(1, fingerprint);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() && "inflight".equals(rs.getString(1));
          }
        });
  }

  /**
   * Completes when the entry for {@code fingerprint} may have changed, or after {@code maxWait}; no
   * thread waits meanwhile (the look at the entry that closes the race with a change just before
   * registering runs on {@link Stages#blocking()}).
   */
  public CompletionStage<Void> changed(String fingerprint, Duration maxWait) {
    CompletableFuture<Void> next = changes.next(fingerprint, maxWait);
    CompletableFuture.runAsync(
        () -> {
          boolean inFlight;
          try {
            inFlight = stillInFlight(fingerprint);
          } catch (RuntimeException e) {
            inFlight = false; // the next admit reports the store
          }
          if (!inFlight) {
            changes.wake(fingerprint);
          }
        },
        Stages.blocking());
    return next;
  }

  private void wake(String fingerprint) {
    db.afterCommit(() -> changes.wake(fingerprint)); // a waiter admits again only after the commit
    CountDownLatch latch = waiters.remove(fingerprint);
    if (latch != null) {
      latch.countDown();
    }
  }

  /** Epoch nanoseconds, saturated at the range of a long (years 1677 to 2262). */
  static long epochNanos(Instant at) {
    try {
      return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000_000L), at.getNano());
    } catch (ArithmeticException e) {
      return at.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }
}
