package io.keybrake.store.sqlite;

import io.keybrake.core.notify.ThresholdEvent;
import io.keybrake.core.notify.ThresholdStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Budget threshold notifications in the embedded SQLite file. Thread-safe. */
public final class SqliteThresholdStore implements ThresholdStore {
  private static final String CLAIM =
      "INSERT INTO budget_notifications (event_id, counter_id, percent, scope, budget,"
          + " spent_micros, cap_micros, window_start, window_end, seen_ms)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";
  private static final String DELIVERED =
      "UPDATE budget_notifications SET delivered_ms = ? WHERE event_id = ?";
  private static final String ATTEMPTED =
      "UPDATE budget_notifications SET attempts = ? WHERE event_id = ?";
  private static final String UNDELIVERED =
      "SELECT counter_id, percent, scope, budget, spent_micros, cap_micros, window_start,"
          + " window_end, seen_ms FROM budget_notifications WHERE delivered_ms IS NULL"
          + " ORDER BY seen_ms, event_id";

  private final SqliteDatabase db;

  public SqliteThresholdStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public boolean claim(ThresholdEvent e) {
    return db.write(
        "record a budget threshold",
        s -> {
          PreparedStatement ps = s.prepare(CLAIM);
          ps.setString(1, e.id());
          ps.setString(2, e.counterId());
          ps.setInt(3, e.percent());
          ps.setString(4, e.scope());
          ps.setString(5, e.budget());
          ps.setLong(6, e.spentMicros());
          ps.setLong(7, e.capMicros());
          ps.setLong(8, e.windowStart().getEpochSecond());
          if (e.windowEnd().equals(Instant.MAX)) {
            ps.setNull(9, java.sql.Types.INTEGER);
          } else {
            ps.setLong(9, e.windowEnd().getEpochSecond());
          }
          ps.setLong(10, e.at().toEpochMilli());
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public void delivered(String eventId, Instant at) {
    db.write(
        "mark a budget notification delivered",
        s -> {
          PreparedStatement ps = s.prepare(DELIVERED);
          ps.setLong(1, at.toEpochMilli());
          ps.setString(2, eventId);
          return ps.executeUpdate();
        });
  }

  @Override
  public void attempted(String eventId, int attempts) {
    db.write(
        "count a budget notification attempt",
        s -> {
          PreparedStatement ps = s.prepare(ATTEMPTED);
          ps.setInt(1, attempts);
          ps.setString(2, eventId);
          return ps.executeUpdate();
        });
  }

  @Override
  public List<ThresholdEvent> undelivered() {
    return db.read(
        "list undelivered budget notifications",
        s -> {
          List<ThresholdEvent> out = new ArrayList<>();
          try (ResultSet rs = s.prepare(UNDELIVERED).executeQuery()) {
            while (rs.next()) {
              out.add(read(rs));
            }
          }
          return out;
        });
  }

  static ThresholdEvent read(ResultSet rs) throws SQLException {
    long end = rs.getLong(8);
    boolean lifetime = rs.wasNull();
    return new ThresholdEvent(
        rs.getString(1),
        rs.getInt(2),
        rs.getString(3),
        rs.getString(4),
        rs.getLong(5),
        rs.getLong(6),
        Instant.ofEpochSecond(rs.getLong(7)),
        lifetime ? Instant.MAX : Instant.ofEpochSecond(end),
        Instant.ofEpochMilli(rs.getLong(9)));
  }
}
