package io.keybrake.store.postgres;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.store.json.JsonColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code AuditRows} maps {@link AuditRecord}s to rows of the {@code audit} table and back, every
 * entry field in its own column. Stateless and thread-safe.
 */
final class AuditRows {
  static final String COLUMNS =
      "seq, at, at_nano, key_id, key_name, labels::text, vendor, method, endpoint, destination,"
          + " body_bytes, estimated_micros, actual_micros, vendor_object_id, decision, reason,"
          + " http_status, spent_micros, latency_micros, settlement, reservation_id,"
          + " prev_hash, hash";
  static final String INSERT =
      "INSERT INTO audit (seq, at, at_nano, key_id, key_name, labels, vendor, method, endpoint,"
          + " destination, body_bytes, estimated_micros, actual_micros, vendor_object_id,"
          + " decision, reason, http_status, spent_micros, latency_micros, settlement,"
          + " reservation_id, prev_hash, hash, entry_id) VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?,"
          + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private AuditRows() {}

  /**
   * {@code e} as PostgreSQL can store it: a {@code text} value cannot hold U+0000, so each one
   * becomes U+FFFD before the row is hashed (the stored row and its hash then agree). Without this
   * one odd request path would stop the drainer for good.
   */
  static AuditEntry storable(AuditEntry e) {
    boolean nul =
        Stream.concat(
                Stream.of(
                    e.keyId(),
                    e.keyName(),
                    e.vendor(),
                    e.method(),
                    e.endpoint(),
                    e.destination(),
                    e.vendorObjectId(),
                    e.decision(),
                    e.reason(),
                    e.settlement(),
                    e.reservationId()),
                e.labels().entrySet().stream().flatMap(l -> Stream.of(l.getKey(), l.getValue())))
            .anyMatch(v -> v != null && v.indexOf('\u0000') >= 0);
    if (!nul) {
      return e;
    }
    Map<String, String> labels = new TreeMap<>();
    e.labels().forEach((k, v) -> labels.put(clean(k), clean(v)));
    return new AuditEntry(
        e.at(),
        clean(e.keyId()),
        clean(e.keyName()),
        labels,
        clean(e.vendor()),
        clean(e.method()),
        clean(e.endpoint()),
        clean(e.destination()),
        e.bodyBytes(),
        e.estimatedMicros(),
        e.actualMicros(),
        clean(e.vendorObjectId()),
        clean(e.decision()),
        clean(e.reason()),
        e.httpStatus(),
        e.spentMicros(),
        e.latencyMicros(),
        clean(e.settlement()),
        clean(e.reservationId()));
  }

  private static String clean(String v) {
    return v == null ? null : v.replace('\u0000', '\uFFFD');
  }

  /** Binds {@code r} and its entry id to {@link #INSERT}. */
  static void bind(PreparedStatement ps, AuditRecord r, String entryId) throws SQLException {
    AuditEntry e = r.entry();
    ps.setLong(1, r.seq());
    ps.setObject(2, PgInstants.timestamp(e.at()));
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
    ps.setString(24, entryId);
  }

  /** One row, in the order of {@link #COLUMNS}. */
  static AuditRecord read(ResultSet rs) throws SQLException {
    long actual = rs.getLong(13);
    Long actualMicros = rs.wasNull() ? null : actual;
    OffsetDateTime at = rs.getObject(2, OffsetDateTime.class);
    AuditEntry e =
        new AuditEntry(
            Instant.ofEpochSecond(at.toEpochSecond(), rs.getInt(3)),
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
            rs.getString(21));
    return new AuditRecord(rs.getLong(1), e, rs.getString(22), rs.getString(23));
  }
}
