package io.keybrake.store.sqlite;

import io.keybrake.core.audit.AuditChain;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.store.json.AuditColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * {@code SqliteAuditLog} is the append-only audit log in the embedded SQLite file. Each row keeps
 * every {@link AuditEntry} field in its own column, the previous row's hash and its own ({@link
 * AuditChain}); the database refuses UPDATE and DELETE on the table by trigger. Appends are
 * serialised by the single writer, so rows chain in call order. Thread-safe.
 */
public final class SqliteAuditLog implements AuditLog {
  private static final String COLUMNS =
      "seq, at_s, at_n, key_id, key_name, labels, vendor, method, endpoint, destination,"
          + " body_bytes, estimated_micros, actual_micros, vendor_object_id, decision, reason,"
          + " http_status, spent_micros, latency_micros, settlement, reservation_id,"
          + " prev_hash, hash, cap_micros, budget";
  private static final String LAST = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
  private static final String INSERT =
      "INSERT INTO audit ("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String ALL = "SELECT " + COLUMNS + " FROM audit ORDER BY seq";

  /**
   * Walks the log in seq order from the cursor and from the first row recorded at or after the
   * lookback (found on the time index), so a pass reads what follows its cursor, not the whole
   * lookback sorted; the time bounds are written {@code +at_s} to keep SQLite on that walk.
   */
  private static final String UNPRICED =
      "SELECT "
          + COLUMNS
          + " FROM audit a WHERE a.seq > ?"
          + " AND a.seq >= (SELECT seq FROM audit WHERE at_s >= ? ORDER BY at_s, at_n LIMIT 1)"
          + " AND (+a.at_s > ? OR (+a.at_s = ? AND a.at_n >= ?))"
          + " AND a.vendor = ? AND a.decision = 'allowed' AND a.settlement = 'estimated'"
          + " AND a.vendor_object_id IS NOT NULL AND a.reservation_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM audit s"
          + " WHERE s.decision = 'settled' AND s.reservation_id = a.reservation_id)"
          + " ORDER BY a.seq LIMIT ?";

  private final SqliteDatabase db;

  public SqliteAuditLog(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public AuditRecord append(AuditEntry entry) {
    return db.write(
        "append to the audit log",
        s -> {
          long seq = 1;
          String prev = AuditChain.GENESIS;
          try (ResultSet rs = s.prepare(LAST).executeQuery()) {
            if (rs.next()) {
              seq = rs.getLong(1) + 1;
              prev = rs.getString(2);
            }
          }
          AuditRecord r = new AuditRecord(seq, entry, prev, AuditChain.hash(seq, prev, entry));
          PreparedStatement ps = s.prepare(INSERT);
          AuditColumns.bind(ps, r);
          ps.setLong(2, entry.at().getEpochSecond());
          ps.executeUpdate();
          return r;
        });
  }

  /** {@inheritDoc} {@code since} is inclusive, {@code until} exclusive. */
  @Override
  public List<AuditRecord> query(AuditQuery query) {
    StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM audit");
    List<Object> params = new ArrayList<>();
    String glue = " WHERE ";
    if (query.keyId().isPresent()) {
      sql.append(glue).append("key_id = ?");
      params.add(query.keyId().get());
      glue = " AND ";
    }
    if (query.since().isPresent()) {
      sql.append(glue).append("(at_s > ? OR (at_s = ? AND at_n >= ?))");
      long sec = query.since().get().getEpochSecond();
      params.add(sec);
      params.add(sec);
      params.add((long) query.since().get().getNano());
      glue = " AND ";
    }
    if (query.until().isPresent()) {
      sql.append(glue).append("(at_s < ? OR (at_s = ? AND at_n < ?))");
      long sec = query.until().get().getEpochSecond();
      params.add(sec);
      params.add(sec);
      params.add((long) query.until().get().getNano());
    }
    sql.append(" ORDER BY seq DESC LIMIT ?");
    params.add((long) query.limit());
    return select("query the audit log", sql.toString(), params);
  }

  @Override
  public List<AuditRecord> unpricedEstimates(
      String vendor, Instant since, long afterSeq, int limit) {
    long sec = since.getEpochSecond();
    return select(
        "find estimated audit rows to reconcile",
        UNPRICED,
        List.<Object>of(afterSeq, sec, sec, sec, (long) since.getNano(), vendor, (long) limit));
  }

  /** The rows {@code sql} selects ({@link #COLUMNS}), its parameters longs or strings. */
  private List<AuditRecord> select(String operation, String sql, List<Object> params) {
    return db.read(
        operation,
        s -> {
          PreparedStatement ps = s.prepare(sql);
          for (int i = 0; i < params.size(); i++) {
            Object p = params.get(i);
            if (p instanceof Long l) {
              ps.setLong(i + 1, l);
            } else {
              ps.setString(i + 1, (String) p);
            }
          }
          List<AuditRecord> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(record(rs));
            }
          }
          return out;
        });
  }

  /**
   * {@inheritDoc} A row is bad when its stored hash does not recompute from its columns, when its
   * {@code prev_hash} is not the previous row's hash, or when its seq is not the previous seq + 1
   * (then the missing seq is named). Rows removed from the end of the log cannot be detected by the
   * chain alone.
   */
  @Override
  public ChainVerification verify() {
    return db.read(
        "verify the audit log",
        s -> {
          long rows = 0;
          long expectedSeq = 1;
          String prev = AuditChain.GENESIS;
          try (ResultSet rs = s.prepare(ALL).executeQuery()) {
            while (rs.next()) {
              AuditRecord r = record(rs);
              rows++;
              if (r.seq() != expectedSeq) {
                return bad(
                    rows,
                    expectedSeq,
                    "row " + expectedSeq + " is missing (the next row is " + r.seq() + ")");
              }
              if (!r.prevHash().equals(prev)) {
                return bad(rows, r.seq(), "prev_hash does not match the hash of the previous row");
              }
              if (!AuditChain.hash(r.seq(), r.prevHash(), r.entry()).equals(r.hash())) {
                return bad(rows, r.seq(), "hash does not match the row's contents");
              }
              prev = r.hash();
              expectedSeq++;
            }
          }
          return new ChainVerification(rows, OptionalLong.empty(), null);
        });
  }

  private static ChainVerification bad(long rows, long seq, String problem) {
    return new ChainVerification(rows, OptionalLong.of(seq), problem);
  }

  /** One row, in the order of {@link #COLUMNS}. */
  private static AuditRecord record(ResultSet rs) throws SQLException {
    return AuditColumns.read(rs, rs.getLong(2));
  }
}
