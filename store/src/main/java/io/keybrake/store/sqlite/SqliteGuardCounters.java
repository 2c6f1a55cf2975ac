package io.keybrake.store.sqlite;

import io.keybrake.core.guard.GuardCounters;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The guards' counters in the embedded SQLite file (table {@code guard_counters}, schema V6): one
 * write transaction per call, so the check and the increment are one step for every thread of the
 * process. Dead rows are deleted every {@link #PURGE_EVERY} calls. Thread-safe.
 */
public final class SqliteGuardCounters implements GuardCounters {
  static final int PURGE_EVERY = 1000;

  private static final String READ =
      "SELECT total FROM guard_counters WHERE counter_id = ? AND expires_ms > ?";
  private static final String ADD =
      "INSERT INTO guard_counters (counter_id, total, expires_ms) VALUES (?, ?, ?)"
          + " ON CONFLICT (counter_id) DO UPDATE SET"
          + " total = CASE WHEN guard_counters.expires_ms > ? THEN guard_counters.total + ?"
          + " ELSE excluded.total END,"
          + " expires_ms = excluded.expires_ms";
  private static final String PURGE = "DELETE FROM guard_counters WHERE expires_ms <= ?";

  private final SqliteDatabase db;
  private final AtomicLong calls = new AtomicLong();

  public SqliteGuardCounters(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public Tally count(String keyId, List<Step> steps, boolean enforce, Instant now) {
    long nowMs = now.toEpochMilli();
    boolean purge = calls.incrementAndGet() % PURGE_EVERY == 0;
    return db.write(
        "count a guarded call",
        s -> {
          int n = steps.size();
          long[] totals = new long[n];
          boolean[] skipped = new boolean[n];
          int exceeded = -1;
          for (int i = 0; i < n; i++) {
            Step step = steps.get(i);
            if (step.once().isPresent()
                && read(s, keyId + "|" + step.once().get().markerId(), nowMs) > 0) {
              skipped[i] = true;
            }
            totals[i] = read(s, keyId + "|" + step.counterId(), nowMs);
            long after = totals[i] + (skipped[i] ? 0 : step.amount());
            if (exceeded < 0 && !skipped[i] && after > step.limit()) {
              exceeded = i;
            }
          }
          if (enforce && exceeded >= 0) {
            return new Tally(exceeded, totals);
          }
          for (int i = 0; i < n; i++) {
            if (skipped[i]) {
              continue;
            }
            Step step = steps.get(i);
            add(
                s,
                keyId + "|" + step.counterId(),
                step.amount(),
                step.expiresAt().toEpochMilli(),
                nowMs);
            totals[i] += step.amount();
            if (step.once().isPresent()) {
              add(
                  s,
                  keyId + "|" + step.once().get().markerId(),
                  1,
                  nowMs + step.once().get().ttl().toMillis(),
                  nowMs);
            }
          }
          if (purge) {
            PreparedStatement ps = s.prepare(PURGE);
            ps.setLong(1, nowMs);
            ps.executeUpdate();
          }
          return new Tally(exceeded, totals);
        });
  }

  private static long read(SqlSession s, String id, long nowMs) throws SQLException {
    PreparedStatement ps = s.prepare(READ);
    ps.setString(1, id);
    ps.setLong(2, nowMs);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static void add(SqlSession s, String id, long amount, long expiresMs, long nowMs)
      throws SQLException {
    PreparedStatement ps = s.prepare(ADD);
    ps.setString(1, id);
    ps.setLong(2, amount);
    ps.setLong(3, expiresMs);
    ps.setLong(4, nowMs);
    ps.setLong(5, amount);
    ps.executeUpdate();
  }
}
