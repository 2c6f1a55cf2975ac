package io.keybrake.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * {@code PgInstants} stores an {@link Instant} exactly as two columns: a {@code timestamptz}
 * truncated to the microsecond (PostgreSQL's precision; truncated here so the server never rounds
 * into the next second) and the nano-of-second as an {@code integer}. Stateless and thread-safe.
 */
final class PgInstants {
  private PgInstants() {}

  /** The {@code timestamptz} value stored for {@code at}. */
  static OffsetDateTime timestamp(Instant at) {
    return OffsetDateTime.ofInstant(at.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  /** Binds {@code at} to parameters {@code index} (timestamptz) and {@code index + 1} (nanos). */
  static void set(PreparedStatement ps, int index, Optional<Instant> at) throws SQLException {
    if (at.isPresent()) {
      ps.setObject(index, timestamp(at.get()));
      ps.setInt(index + 1, at.get().getNano());
    } else {
      ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
      ps.setNull(index + 1, Types.INTEGER);
    }
  }

  /** Reads the instant from columns {@code index} (timestamptz) and {@code index + 1} (nanos). */
  static Optional<Instant> get(ResultSet rs, int index) throws SQLException {
    OffsetDateTime t = rs.getObject(index, OffsetDateTime.class);
    if (t == null) {
      return Optional.empty();
    }
    return Optional.of(Instant.ofEpochSecond(t.toEpochSecond(), rs.getInt(index + 1)));
  }
}
