package io.keybrake.store.postgres;

import io.keybrake.core.audit.AuditChain;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * {@code PostgresAuditLog} is the fleet's audit log: the {@code audit} table, partitioned by UTC
 * day ({@link AuditPartitions}), append-only by trigger (UPDATE, DELETE and TRUNCATE fail in the
 * database), every row chained to the previous one by {@link AuditChain}. There is one global chain
 * across every instance: a writer locks the {@code audit_head} row while it appends a batch, so
 * sequence numbers have no gap and no duplicate. Each row carries a unique entry id, so {@link
 * #appendAll} may be retried after an unknown outcome without adding a row twice. Thread-safe.
 *
 * <p>Most instances should not call {@link #append} on the request path but write through {@link
 * io.keybrake.store.wal.WriteAheadAuditLog}, which batches entries to {@link #appendAll}.
 */
public final class PostgresAuditLog implements AuditLog {
  private static final String LOCK_HEAD =
      "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";
  private static final String SET_HEAD = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1";
  private static final String PRESENT =
      "SELECT entry_id FROM audit_entry_ids WHERE entry_id = ANY (?)";
  private static final String INSERT_ID =
      "INSERT INTO audit_entry_ids (entry_id, seq) VALUES (?, ?)";
  private static final String ALL = "SELECT " + AuditRows.COLUMNS + " FROM audit ORDER BY seq";

  /** The plain time bound prunes partitions; the walk is in seq order from the cursor. */
  private static final String UNPRICED =
      "SELECT "
          + AuditRows.COLUMNS
          + " FROM audit a WHERE a.seq > ? AND a.at >= ? AND (a.at > ? OR a.at_nano >= ?)"
          + " AND a.vendor = ? AND a.decision = 'allowed' AND a.settlement = 'estimated'"
          + " AND a.vendor_object_id IS NOT NULL AND a.reservation_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM audit s"
          + " WHERE s.decision = 'settled' AND s.reservation_id = a.reservation_id)"
          + " ORDER BY a.seq LIMIT ?";

  private static final int VERIFY_FETCH = 1000;

  private final PostgresDatabase db;
  private final AuditPartitions partitions;

  /**
   * Creates the partitions of today (by {@code clock}) and the days ahead.
   *
   * @throws io.keybrake.core.store.StoreUnavailableException PostgreSQL cannot be reached
   */
  public PostgresAuditLog(PostgresDatabase db, Clock clock) {
    this.db = Objects.requireNonNull(db);
    this.partitions = new AuditPartitions(db);
    partitions.ensure(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
  }

  /** The day partitions. */
  public AuditPartitions partitions() {
    return partitions;
  }

  /** {@inheritDoc} The entry gets a random entry id; the write is one transaction. */
  @Override
  public AuditRecord append(AuditEntry entry) {
    return appendAll(List.of(new UniqueEntry(UUID.randomUUID().toString(), entry))).get(0);
  }

  /**
   * Appends {@code batch} in order, in one transaction, at the end of the global chain. Entries
   * whose id is already stored are skipped: retrying a batch whose commit outcome was unknown adds
   * exactly the rows that are missing (none, since a batch commits whole).
   *
   * @return the records this call added, in chain order
   * @throws io.keybrake.core.store.StoreUnavailableException PostgreSQL failed; nothing was added
   */
  public List<AuditRecord> appendAll(List<UniqueEntry> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    Set<LocalDate> days = new TreeSet<>();
    for (UniqueEntry u : batch) {
      days.add(LocalDate.ofInstant(u.entry().at(), ZoneOffset.UTC));
    }
    days.forEach(partitions::ensure);
    return db.run("append to the audit log", c -> insert(c, batch));
  }

  private static List<AuditRecord> insert(Connection c, List<UniqueEntry> batch)
      throws SQLException {
    long seq;
    String prev;
    try (PreparedStatement ps = c.prepareStatement(LOCK_HEAD);
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("audit_head row is missing");
      }
      seq = rs.getLong(1);
      prev = rs.getString(2);
    }
    Set<String> present = present(c, batch);
    List<AuditRecord> added = new ArrayList<>(batch.size());
    try (PreparedStatement rows = c.prepareStatement(AuditRows.INSERT);
        PreparedStatement ids = c.prepareStatement(INSERT_ID)) {
      Set<String> seen = new HashSet<>();
      for (UniqueEntry u : batch) {
        if (present.contains(u.entryId()) || !seen.add(u.entryId())) {
          continue;
        }
        seq++;
        AuditEntry entry = AuditRows.storable(u.entry());
        String hash = AuditChain.hash(seq, prev, entry);
        AuditRecord r = new AuditRecord(seq, entry, prev, hash);
        AuditRows.bind(rows, r, u.entryId());
        rows.addBatch();
        ids.setString(1, u.entryId());
        ids.setLong(2, seq);
        ids.addBatch();
        added.add(r);
        prev = hash;
      }
      if (added.isEmpty()) {
        return added;
      }
      ids.executeBatch();
      rows.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement(SET_HEAD)) {
      ps.setLong(1, seq);
      ps.setString(2, prev);
      ps.executeUpdate();
    }
    return added;
  }

  private static Set<String> present(Connection c, List<UniqueEntry> batch) throws SQLException {
    String[] ids = batch.stream().map(UniqueEntry::entryId).toArray(String[]::new);
    Set<String> out = new HashSet<>();
    Array arr = c.createArrayOf("text", ids);
    try (PreparedStatement ps = c.prepareStatement(PRESENT)) {
      ps.setArray(1, arr);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    } finally {
      arr.free();
    }
    return out;
  }

  /** {@inheritDoc} {@code since} is inclusive, {@code until} exclusive. */
  @Override
  public List<AuditRecord> query(AuditQuery query) {
    StringBuilder sql =
        new StringBuilder("SELECT ").append(AuditRows.COLUMNS).append(" FROM audit WHERE TRUE");
    List<Object> params = new ArrayList<>();
    if (query.keyId().isPresent()) {
      sql.append(" AND key_id = ?");
      params.add(query.keyId().get());
    }
    if (query.since().isPresent()) {
      // the plain bound lets PostgreSQL prune partitions; the pair compares to the nanosecond
      Instant since = query.since().get();
      sql.append(" AND at >= ? AND (at > ? OR at_nano >= ?)");
      params.add(PgInstants.timestamp(since));
      params.add(PgInstants.timestamp(since));
      params.add(since.getNano());
    }
    if (query.until().isPresent()) {
      Instant until = query.until().get();
      sql.append(" AND at <= ? AND (at < ? OR at_nano < ?)");
      params.add(PgInstants.timestamp(until));
      params.add(PgInstants.timestamp(until));
      params.add(until.getNano());
    }
    sql.append(" ORDER BY seq DESC LIMIT ?");
    params.add(query.limit());
    return select("query the audit log", sql.toString(), params);
  }

  @Override
  public List<AuditRecord> unpricedEstimates(
      String vendor, Instant since, long afterSeq, int limit) {
    java.time.OffsetDateTime at = PgInstants.timestamp(since);
    return select(
        "find estimated audit rows to reconcile",
        UNPRICED,
        List.<Object>of(afterSeq, at, at, since.getNano(), vendor, limit));
  }

  /** The rows {@code sql} selects ({@link AuditRows#COLUMNS}). */
  private List<AuditRecord> select(String operation, String sql, List<Object> params) {
    return db.run(
        operation,
        c -> {
          List<AuditRecord> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
              ps.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(AuditRows.read(rs));
              }
            }
          }
          return out;
        });
  }

  /**
   * {@inheritDoc} Reads one consistent snapshot, streaming. A row is bad when its stored hash does
   * not recompute from its columns, when its {@code prev_hash} is not the previous row's hash, or
   * when its seq is not the previous seq + 1 (then the missing seq is named). Rows missing from the
   * end are named too, by comparing with the chain head.
   */
  @Override
  public ChainVerification verify() {
    return db.run(
        "verify the audit log",
        c -> {
          c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          c.setReadOnly(true);
          long rows = 0;
          long expectedSeq = 1;
          String prev = AuditChain.GENESIS;
          try (PreparedStatement ps = c.prepareStatement(ALL)) {
            ps.setFetchSize(VERIFY_FETCH);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                AuditRecord r = AuditRows.read(rs);
                rows++;
                if (r.seq() != expectedSeq) {
                  return bad(
                      rows,
                      expectedSeq,
                      "row " + expectedSeq + " is missing (the next row is " + r.seq() + ")");
                }
                if (!r.prevHash().equals(prev)) {
                  return bad(
                      rows, r.seq(), "prev_hash does not match the hash of the previous row");
                }
                if (!AuditChain.hash(r.seq(), r.prevHash(), r.entry()).equals(r.hash())) {
                  return bad(rows, r.seq(), "hash does not match the row's contents");
                }
                prev = r.hash();
                expectedSeq++;
              }
            }
          }
          try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM audit_head");
              ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getLong(1) >= expectedSeq) {
              return bad(
                  rows,
                  expectedSeq,
                  "row "
                      + expectedSeq
                      + " is missing (the chain head is at row "
                      + rs.getLong(1)
                      + ")");
            }
          }
          return new ChainVerification(rows, OptionalLong.empty(), null);
        });
  }

  private static ChainVerification bad(long rows, long seq, String problem) {
    return new ChainVerification(rows, OptionalLong.of(seq), problem);
  }
}
