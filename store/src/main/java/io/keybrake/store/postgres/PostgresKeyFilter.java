package io.keybrake.store.postgres;

import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyState;
import io.keybrake.store.json.JsonColumns;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code WHERE} clause of a key query on the PostgreSQL {@code keys} table, with its
 * parameters: labels by {@code jsonb} containment (GIN-indexed), vendor, state at the query's time,
 * and the paging position as a row comparison. Not shared between threads.
 */
final class PostgresKeyFilter {
  private final StringBuilder where = new StringBuilder("TRUE");
  private final List<Object> params = new ArrayList<>();

  /** The filters of {@code q}, its position included. */
  static PostgresKeyFilter of(KeyQuery q) {
    PostgresKeyFilter f = labels(q.labels());
    q.vendor().ifPresent(v -> f.and("vendor = ?", v));
    q.state().ifPresent(s -> f.state(s, q.now()));
    q.after()
        .ifPresent(
            a ->
                f.and(
                    "(created_at, created_nano, id) < (?, ?, ?)",
                    PgInstants.timestamp(a.createdAt()),
                    a.createdAt().getNano(),
                    a.id()));
    return f;
  }

  /** Keys whose labels include every entry of {@code labels}. */
  static PostgresKeyFilter labels(Map<String, String> labels) {
    PostgresKeyFilter f = new PostgresKeyFilter();
    if (!labels.isEmpty()) {
      f.and("labels @> ?::jsonb", JsonColumns.labels(labels));
    }
    return f;
  }

  private void state(KeyState s, Instant now) {
    String live = "(expires_at IS NULL OR (expires_at, expires_nano) > (?, ?))";
    Object at = PgInstants.timestamp(now);
    int nano = now.getNano();
    switch (s) {
      case ACTIVE -> and("revoked_at IS NULL AND " + live, at, nano);
      case REVOKED -> and("revoked_at IS NOT NULL");
      case EXPIRED -> and("revoked_at IS NULL AND NOT " + live, at, nano);
    }
  }

  private PostgresKeyFilter and(String clause, Object... values) {
    where.append(" AND ").append(clause);
    params.addAll(List.of(values));
    return this;
  }

  String where() {
    return where.toString();
  }

  /** Binds the parameters from {@code index}; returns the next free index. */
  int bind(PreparedStatement ps, int index) throws SQLException {
    for (Object p : params) {
      ps.setObject(index++, p);
    }
    return index;
  }
}
