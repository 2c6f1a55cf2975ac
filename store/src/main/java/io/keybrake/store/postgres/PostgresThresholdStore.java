package io.keybrake.store.postgres;

import io.keybrake.core.notify.ThresholdEvent;
import io.keybrake.core.notify.ThresholdStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Budget threshold notifications in PostgreSQL: the fleet's instances share them, so a threshold is
 * claimed by one instance only. Thread-safe.
 */
public final class PostgresThresholdStore implements ThresholdStore {
  private static final String CLAIM =
      "INSERT INTO budget_notifications (event_id, counter_id, percent, scope, budget,"
          + " spent_micros, cap_micros, window_start, window_end, seen_ms)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";
  private static final String UNDELIVERED =
      "SELECT counter_id, percent, scope, budget, spent_micros, cap_micros, window_start,"
          + " window_end, seen_ms FROM budget_notifications WHERE delivered_ms IS NULL"
          + " ORDER BY seen_ms, event_id";

  private final PostgresDatabase db;

  public PostgresThresholdStore(PostgresDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public boolean claim(ThresholdEvent e) {
    return db.run(
        "record a budget threshold",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setString(1, e.id());
            ps.setString(2, e.counterId());
            ps.setInt(3, e.percent());
            ps.setString(4, e.scope());
            ps.setString(5, e.budget());
            ps.setLong(6, e.spentMicros());
            ps.setLong(7, e.capMicros());
            ps.setLong(8, e.windowStart().getEpochSecond());
            if (e.windowEnd().equals(Instant.MAX)) {
              ps.setNull(9, java.sql.Types.BIGINT);
            } else {
              ps.setLong(9, e.windowEnd().getEpochSecond());
            }
            ps.setLong(10, e.at().toEpochMilli());
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public void delivered(String eventId, Instant at) {
    update(
        "UPDATE budget_notifications SET delivered_ms = ? WHERE event_id = ?",
        at.toEpochMilli(),
        eventId);
  }

  @Override
  public void attempted(String eventId, int attempts) {
    update("UPDATE budget_notifications SET attempts = ? WHERE event_id = ?", attempts, eventId);
  }

  private void update(String sql, long value, String eventId) {
    db.run(
        "update a budget notification",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, value);
            ps.setString(2, eventId);
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public List<ThresholdEvent> undelivered() {
    return db.run(
        "list undelivered budget notifications",
        c -> {
          List<ThresholdEvent> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(UNDELIVERED);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              long end = rs.getLong(8);
              boolean lifetime = rs.wasNull();
              out.add(
                  new ThresholdEvent(
                      rs.getString(1),
                      rs.getInt(2),
                      rs.getString(3),
                      rs.getString(4),
                      rs.getLong(5),
                      rs.getLong(6),
                      Instant.ofEpochSecond(rs.getLong(7)),
                      lifetime ? Instant.MAX : Instant.ofEpochSecond(end),
                      Instant.ofEpochMilli(rs.getLong(9))));
            }
          }
          return out;
        });
  }
}
