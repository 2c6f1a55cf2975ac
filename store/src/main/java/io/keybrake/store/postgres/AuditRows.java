package io.keybrake.store.postgres;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.store.json.AuditColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
          + " prev_hash, hash, cap_micros, budget";
  static final String INSERT =
      "INSERT INTO audit (seq, at, at_nano, key_id, key_name, labels, vendor, method, endpoint,"
          + " destination, body_bytes, estimated_micros, actual_micros, vendor_object_id,"
          + " decision, reason, http_status, spent_micros, latency_micros, settlement,"
          + " reservation_id, prev_hash, hash, cap_micros, budget, entry_id) VALUES (?, ?, ?, ?, ?,"
          + " ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

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
                    e.reservationId(),
                    e.budget()),
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
        clean(e.reservationId()),
        e.capMicros(),
        clean(e.budget()));
  }

  private static String clean(String v) {
    return v == null ? null : v.replace('\u0000', '\uFFFD');
  }

  /** Binds {@code r} and its entry id to {@link #INSERT}. */
  static void bind(PreparedStatement ps, AuditRecord r, String entryId) throws SQLException {
    AuditColumns.bind(ps, r);
    ps.setObject(2, PgInstants.timestamp(r.entry().at()));
    ps.setString(26, entryId);
  }

  /** One row, in the order of {@link #COLUMNS}. */
  static AuditRecord read(ResultSet rs) throws SQLException {
    return AuditColumns.read(rs, rs.getObject(2, OffsetDateTime.class).toEpochSecond());
  }
}
