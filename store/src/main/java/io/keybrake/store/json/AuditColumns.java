package io.keybrake.store.json;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/**
 * The columns of an {@code audit} row, shared by the SQLite and PostgreSQL audit logs, which
 * declare them in the same order: 1 seq, 2 the time (each store's own type), 3 its nanoseconds,
 * 4-21 the entry's fields, 22 the previous row's hash, 23 the row's hash, 24 the cap and 25 the
 * budget (schema version 5; null in older rows). Each store binds and reads column 2 itself.
 * Stateless and thread-safe.
 */
public final class AuditColumns {
  private AuditColumns() {}

  /** Binds every column but 2 (the time) of {@code r}. */
  public static void bind(PreparedStatement ps, AuditRecord r) throws SQLException {
    AuditEntry e = r.entry();
    ps.setLong(1, r.seq());
    ps.setInt(3, e.at().getNano());
    ps.setString(4, e.keyId());
    ps.setString(5, e.keyName());
    ps.setString(6, JsonColumns.labels(e.labels()));
    ps.setString(7, e.vendor());
    ps.setString(8, e.method());
    ps.setString(9, e.endpoint());
    ps.setString(10, e.destination());
    ps.setLong(11, e.bodyBytes());
    ps.setLong(12, e.estimatedMicros());
    if (e.actualMicros() == null) {
      ps.setNull(13, Types.BIGINT);
    } else {
      ps.setLong(13, e.actualMicros());
    }
    ps.setString(14, e.vendorObjectId());
    ps.setString(15, e.decision());
    ps.setString(16, e.reason());
    ps.setInt(17, e.httpStatus());
    ps.setLong(18, e.spentMicros());
    ps.setLong(19, e.latencyMicros());
    ps.setString(20, e.settlement());
    ps.setString(21, e.reservationId());
    ps.setString(22, r.prevHash());
    ps.setString(23, r.hash());
    if (e.capMicros() == null) {
      ps.setNull(24, Types.BIGINT);
    } else {
      ps.setLong(24, e.capMicros());
    }
    ps.setString(25, e.budget());
  }

  /**
   * The record in the current row.
   *
   * @param epochSecond the seconds of the entry's time, read from column 2 by the store
   */
  public static AuditRecord read(ResultSet rs, long epochSecond) throws SQLException {
    long actual = rs.getLong(13);
    Long actualMicros = rs.wasNull() ? null : actual;
    long cap = rs.getLong(24);
    Long capMicros = rs.wasNull() ? null : cap;
    AuditEntry e =
        new AuditEntry(
            Instant.ofEpochSecond(epochSecond, rs.getInt(3)),
            rs.getString(4),
            rs.getString(5),
            JsonColumns.labels(rs.getString(6)),
            rs.getString(7),
            rs.getString(8),
            rs.getString(9),
            rs.getString(10),
            rs.getLong(11),
            rs.getLong(12),
            actualMicros,
            rs.getString(14),
            rs.getString(15),
            rs.getString(16),
            rs.getInt(17),
            rs.getLong(18),
            rs.getLong(19),
            rs.getString(20),
            rs.getString(21),
            capMicros,
            rs.getString(25));
    return new AuditRecord(rs.getLong(1), e, rs.getString(22), rs.getString(23));
  }
}
