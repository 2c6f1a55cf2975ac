package io.keybrake.store.sqlite;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code SqliteLedger} keeps spend counters and reservations in the embedded SQLite file. Every
 * operation is one {@code BEGIN IMMEDIATE} transaction on the single writer, so a reservation
 * checks and takes room in all of its counters as one step. Reservation states: {@code reserved}
 * (counted in the counters' reserved amount), {@code unsettled} (still counted there, the vendor
 * may have acted), {@code settled} (moved to settled at the actual cost), {@code released}
 * (removed) and {@code refused} (kept only so a repeated id gets the same answer). Limits with the
 * same counter id in one request count once. A request with no limits is reserved with {@code
 * capMicros = Long.MAX_VALUE}. Thread-safe.
 */
public final class SqliteLedger implements Ledger, io.keybrake.core.admission.OpenReservations {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String FIND_RESERVATION =
      "SELECT state, amount_micros, spent_micros, cap_micros, refusal"
          + " FROM reservations WHERE id = ?";
  private static final String COUNTER =
      "SELECT settled_micros, reserved_micros FROM counters WHERE counter_id = ?";
  private static final String ADD_RESERVED =
      "INSERT INTO counters (counter_id, settled_micros, reserved_micros, window_end)"
          + " VALUES (?, 0, ?, ?) ON CONFLICT (counter_id)"
          + " DO UPDATE SET reserved_micros = reserved_micros + excluded.reserved_micros";
  private static final String INSERT_RESERVATION =
      "INSERT INTO reservations (id, key_id, amount_micros, state, created_at, spent_micros,"
          + " cap_micros, refusal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String LINK =
      "INSERT INTO reservation_counters (reservation_id, counter_id) VALUES (?, ?)";
  private static final String MOVE_COUNTERS =
      "UPDATE counters SET reserved_micros = reserved_micros - ?,"
          + " settled_micros = settled_micros + ? WHERE counter_id IN"
          + " (SELECT counter_id FROM reservation_counters WHERE reservation_id = ?)";
  private static final String SET_STATE = "UPDATE reservations SET state = ? WHERE id = ?";
  private static final String SET_SETTLED =
      "UPDATE reservations SET state = 'settled', actual_micros = ? WHERE id = ?";
  private static final String OPEN = "SELECT id FROM reservations WHERE state = 'reserved'";
  private static final int PURGE_BATCH = 1000;
  private static final String PURGE_RESERVATIONS =
      "DELETE FROM reservations WHERE id IN (SELECT id FROM reservations WHERE created_at < ?"
          + " AND state IN ('settled', 'released', 'refused') LIMIT "
          + PURGE_BATCH
          + ")";
  private static final String PURGE_COUNTERS =
      "DELETE FROM counters WHERE window_end <= ? AND reserved_micros = 0";

  private final SqliteDatabase db;

  public SqliteLedger(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public ReserveOutcome reserve(ReserveRequest request) {
    return db.write("reserve spend", s -> reserve(s, request));
  }

  private static ReserveOutcome reserve(SqlSession s, ReserveRequest request) throws SQLException {
    PreparedStatement find = s.prepare(FIND_RESERVATION);
    find.setString(1, request.reservationId());
    try (ResultSet rs = find.executeQuery()) {
      if (rs.next()) {
        return earlierOutcome(request.reservationId(), rs);
      }
    }
    long amount = request.amountMicros();
    Map<String, BudgetLimit> limits = new LinkedHashMap<>();
    for (BudgetLimit limit : request.limits()) {
      limits.putIfAbsent(limit.counterId(), limit);
    }
    long tightestSpent = amount;
    long tightestCap = Long.MAX_VALUE;
    long tightestRoom = Long.MAX_VALUE;
    PreparedStatement counter = s.prepare(COUNTER);
    for (BudgetLimit limit : limits.values()) {
      long total = total(counter, limit.counterId());
      if (total > limit.capMicros() - amount) {
        ReserveOutcome.Exhausted refused = new ReserveOutcome.Exhausted(limit, total, amount);
        insertReservation(s, request, "refused", total, limit.capMicros(), refusalJson(refused));
        return refused;
      }
      long after = total + amount;
      long room = limit.capMicros() - after;
      if (room < tightestRoom) {
        tightestRoom = room;
        tightestSpent = after;
        tightestCap = limit.capMicros();
      }
    }
    insertReservation(s, request, "reserved", tightestSpent, tightestCap, null);
    PreparedStatement add = s.prepare(ADD_RESERVED);
    PreparedStatement link = s.prepare(LINK);
    for (BudgetLimit limit : limits.values()) {
      add.setString(1, limit.counterId());
      add.setLong(2, amount);
      add.setLong(3, limit.windowEnd().getEpochSecond());
      add.executeUpdate();
      link.setString(1, request.reservationId());
      link.setString(2, limit.counterId());
      link.executeUpdate();
    }
    return new ReserveOutcome.Reserved(request.reservationId(), tightestSpent, tightestCap);
  }

  @Override
  public void settle(String reservationId, long actualMicros) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    db.write(
        "settle spend",
        s -> {
          Long amount = openAmount(s, reservationId);
          if (amount != null) {
            moveCounters(s, reservationId, amount, actualMicros);
            PreparedStatement ps = s.prepare(SET_SETTLED);
            ps.setLong(1, actualMicros);
            ps.setString(2, reservationId);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void release(String reservationId) {
    db.write(
        "release spend",
        s -> {
          Long amount = openAmount(s, reservationId);
          if (amount != null) {
            moveCounters(s, reservationId, amount, 0);
            setState(s, reservationId, "released");
          }
          return null;
        });
  }

  @Override
  public void markUnsettled(String reservationId) {
    db.write(
        "mark spend unsettled",
        s -> {
          PreparedStatement ps = s.prepare(SET_STATE + " AND state = 'reserved'");
          ps.setString(1, "unsettled");
          ps.setString(2, reservationId);
          ps.executeUpdate();
          return null;
        });
  }

  @Override
  public CounterSnapshot counter(BudgetLimit limit) {
    return db.read(
        "read a counter",
        s -> {
          PreparedStatement ps = s.prepare(COUNTER);
          ps.setString(1, limit.counterId());
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next()
                ? new CounterSnapshot(rs.getLong(1), rs.getLong(2))
                : CounterSnapshot.EMPTY;
          }
        });
  }

  @Override
  public boolean adjust(String reservationId, long actualMicros) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    return db.write(
        "adjust settled spend",
        s -> {
          PreparedStatement find =
              s.prepare(
                  "SELECT actual_micros FROM reservations WHERE id = ? AND state = 'settled'");
          find.setString(1, reservationId);
          long before;
          try (ResultSet rs = find.executeQuery()) {
            if (!rs.next()) {
              return false;
            }
            before = rs.getLong(1);
          }
          long delta = actualMicros - before;
          if (delta == 0) {
            return false;
          }
          PreparedStatement counters =
              s.prepare(
                  "UPDATE counters SET settled_micros = settled_micros + ? WHERE counter_id IN"
                      + " (SELECT counter_id FROM reservation_counters WHERE reservation_id = ?)");
          counters.setLong(1, delta);
          counters.setString(2, reservationId);
          counters.executeUpdate();
          PreparedStatement set = s.prepare(SET_SETTLED);
          set.setLong(1, actualMicros);
          set.setString(2, reservationId);
          set.executeUpdate();
          return true;
        });
  }

  @Override
  public List<io.keybrake.core.admission.OpenReservation> openBefore(
      java.time.Instant before, int max) {
    long beforeMillis =
        before.isAfter(java.time.Instant.ofEpochMilli(Long.MAX_VALUE))
            ? Long.MAX_VALUE
            : before.toEpochMilli();
    return db.read(
        "list open reservations",
        s -> {
          List<io.keybrake.core.admission.OpenReservation> out = new ArrayList<>();
          PreparedStatement ps =
              s.prepare(
                  "SELECT id, key_id, amount_micros, created_at FROM reservations"
                      + " WHERE state = 'reserved' AND created_at < ? ORDER BY created_at LIMIT ?");
          ps.setLong(1, beforeMillis);
          ps.setInt(2, max);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new io.keybrake.core.admission.OpenReservation(
                      rs.getString(1),
                      rs.getString(2),
                      rs.getLong(3),
                      java.time.Instant.ofEpochMilli(rs.getLong(4))));
            }
          }
          return out;
        });
  }

  @Override
  public boolean unsettleIfOpen(String reservationId) {
    return db.write(
        "mark spend unsettled",
        s -> {
          PreparedStatement ps = s.prepare(SET_STATE + " AND state = 'reserved'");
          ps.setString(1, "unsettled");
          ps.setString(2, reservationId);
          return ps.executeUpdate() == 1;
        });
  }

  /** Ids of reservations still in state {@code reserved}, for crash recovery. */
  public List<String> openReservations() {
    return db.read(
        "list open reservations",
        s -> {
          List<String> ids = new ArrayList<>();
          try (ResultSet rs = s.prepare(OPEN).executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getString(1));
            }
          }
          return ids;
        });
  }

  /**
   * Deletes closed reservations (settled, released, refused) created before {@code before} and
   * counters whose window ended by then with nothing reserved. Open and unsettled reservations
   * stay. A repeated reserve of a purged id is treated as new. Deletes in small transactions so
   * that reservations are never held up for long.
   *
   * @return how many reservations were deleted
   */
  public int purge(Instant before) {
    int total = 0;
    int deleted;
    do {
      deleted =
          db.write(
              "purge the ledger",
              s -> {
                PreparedStatement r = s.prepare(PURGE_RESERVATIONS);
                r.setLong(1, before.toEpochMilli());
                return r.executeUpdate();
              });
      total += deleted;
    } while (deleted == PURGE_BATCH);
    db.write(
        "purge the ledger",
        s -> {
          PreparedStatement c = s.prepare(PURGE_COUNTERS);
          c.setLong(1, before.getEpochSecond());
          return c.executeUpdate();
        });
    return total;
  }

  private static long total(PreparedStatement counter, String counterId) throws SQLException {
    counter.setString(1, counterId);
    try (ResultSet rs = counter.executeQuery()) {
      return rs.next() ? rs.getLong(1) + rs.getLong(2) : 0;
    }
  }

  /** The amount of a reservation still counted as reserved, or null if there is none. */
  private static Long openAmount(SqlSession s, String reservationId) throws SQLException {
    PreparedStatement find = s.prepare(FIND_RESERVATION);
    find.setString(1, reservationId);
    try (ResultSet rs = find.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      String state = rs.getString(1);
      return "reserved".equals(state) || "unsettled".equals(state) ? rs.getLong(2) : null;
    }
  }

  private static void moveCounters(SqlSession s, String reservationId, long amount, long actual)
      throws SQLException {
    PreparedStatement ps = s.prepare(MOVE_COUNTERS);
    ps.setLong(1, amount);
    ps.setLong(2, actual);
    ps.setString(3, reservationId);
    ps.executeUpdate();
  }

  private static void setState(SqlSession s, String reservationId, String state)
      throws SQLException {
    PreparedStatement ps = s.prepare(SET_STATE);
    ps.setString(1, state);
    ps.setString(2, reservationId);
    ps.executeUpdate();
  }

  private static void insertReservation(
      SqlSession s, ReserveRequest request, String state, long spent, long cap, String refusal)
      throws SQLException {
    PreparedStatement ps = s.prepare(INSERT_RESERVATION);
    ps.setString(1, request.reservationId());
    ps.setString(2, request.keyId());
    ps.setLong(3, request.amountMicros());
    ps.setString(4, state);
    ps.setLong(5, request.at().toEpochMilli());
    ps.setLong(6, spent);
    ps.setLong(7, cap);
    ps.setString(8, refusal);
    ps.executeUpdate();
  }

  private static ReserveOutcome earlierOutcome(String reservationId, ResultSet rs)
      throws SQLException {
    if (!"refused".equals(rs.getString(1))) {
      return new ReserveOutcome.Reserved(reservationId, rs.getLong(3), rs.getLong(4));
    }
    try {
      JsonNode n = JSON.readTree(rs.getString(5));
      BudgetLimit limit =
          new BudgetLimit(
              n.required("budget").asText(),
              n.required("scope").asText(),
              n.required("cap_micros").asLong(),
              Instant.ofEpochSecond(
                  n.required("window_start_s").asLong(), n.required("window_start_n").asInt()),
              Instant.ofEpochSecond(
                  n.required("window_end_s").asLong(), n.required("window_end_n").asInt()));
      return new ReserveOutcome.Exhausted(
          limit, n.required("spent_micros").asLong(), n.required("requested_micros").asLong());
    } catch (JsonProcessingException e) {
      throw new SQLException("stored refusal of a reservation is not valid JSON", e);
    }
  }

  private static String refusalJson(ReserveOutcome.Exhausted refused) {
    BudgetLimit l = refused.limit();
    ObjectNode n = JSON.createObjectNode();
    n.put("budget", l.budget());
    n.put("scope", l.scope());
    n.put("cap_micros", l.capMicros());
    n.put("window_start_s", l.windowStart().getEpochSecond());
    n.put("window_start_n", l.windowStart().getNano());
    n.put("window_end_s", l.windowEnd().getEpochSecond());
    n.put("window_end_n", l.windowEnd().getNano());
    n.put("spent_micros", refused.spentMicros());
    n.put("requested_micros", refused.requestedMicros());
    return n.toString();
  }
}
