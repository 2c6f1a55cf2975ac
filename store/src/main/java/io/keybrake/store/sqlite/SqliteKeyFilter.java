package io.keybrake.store.sqlite;

import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyState;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code WHERE} clause of a key query on the SQLite {@code keys} table, with its parameters:
 * labels through {@code json_each} (any label name is safe), vendor, state at the query's time, and
 * the paging position. Immutable once built; not shared between threads.
 */
final class SqliteKeyFilter {
  private final StringBuilder where = new StringBuilder("1 = 1");
  private final List<Object> params = new ArrayList<>();

  /** The filters of {@code q}, its position included. */
  static SqliteKeyFilter of(KeyQuery q) {
    SqliteKeyFilter f = labels(q.labels());
    q.vendor().ifPresent(v -> f.and("vendor = ?", v));
    q.state().ifPresent(s -> f.state(s, q.now()));
    q.after()
        .ifPresent(
            a ->
                f.and(
                    "(created_s < ? OR (created_s = ? AND (created_n < ? OR (created_n = ? AND id"
                        + " < ?))))",
                    a.createdAt().getEpochSecond(),
                    a.createdAt().getEpochSecond(),
                    a.createdAt().getNano(),
                    a.createdAt().getNano(),
                    a.id()));
    return f;
  }

  /** Keys whose labels include every entry of {@code labels}. */
  static SqliteKeyFilter labels(Map<String, String> labels) {
    SqliteKeyFilter f = new SqliteKeyFilter();
    labels.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                f.and(
                    "EXISTS (SELECT 1 FROM json_each(keys.labels) j WHERE j.key = ? AND j.value"
                        + " = ?)",
                    e.getKey(),
                    e.getValue()));
    return f;
  }

  private void state(KeyState s, Instant now) {
    String live = "(expires_s IS NULL OR expires_s > ? OR (expires_s = ? AND expires_n > ?))";
    long sec = now.getEpochSecond();
    int nano = now.getNano();
    switch (s) {
      case ACTIVE -> and("revoked_s IS NULL AND " + live, sec, sec, nano);
      case REVOKED -> and("revoked_s IS NOT NULL");
      case EXPIRED -> and("revoked_s IS NULL AND NOT " + live, sec, sec, nano);
    }
  }

  private SqliteKeyFilter and(String clause, Object... values) {
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
