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
 * capMicros = Long.MAX_VALUE}. A reservation names the counters it holds room in ({@code
 * counter_ids}); a reservation takes room in each counter with one conditional upsert, and a
 * settlement or release closes it and moves its amount with one statement each. Thread-safe.
 */
public final class SqliteLedger implements Ledger, io.keybrake.core.admission.OpenReservations {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String FIND_RESERVATION =
      "SELECT state, amount_micros, spent_micros, cap_micros, refusal"
          + " FROM reservations WHERE id = ?";
  private static final String COUNTER =
      "SELECT settled_micros, reserved_micros FROM counters WHERE counter_id = ?";

  /**
   * Takes room in one counter if its total stays within the bound ({@code cap - amount}), creating
   * the counter when it is new (the caller makes sure the amount alone fits the cap); answers the
   * total after, or no row when the counter has no room.
   */
  private static final String TAKE_ROOM =
      "INSERT INTO counters (counter_id, settled_micros, reserved_micros, window_end)"
          + " VALUES (?, 0, ?, ?) ON CONFLICT (counter_id)"
          + " DO UPDATE SET reserved_micros = reserved_micros + excluded.reserved_micros"
          + " WHERE settled_micros + reserved_micros <= ?"
          + " RETURNING settled_micros + reserved_micros";

  private static final String GIVE_BACK =
      "UPDATE counters SET reserved_micros = reserved_micros - ? WHERE counter_id = ?";
  private static final String INSERT_RESERVATION =
      "INSERT INTO reservations (id, key_id, amount_micros, state, created_at, spent_micros,"
          + " cap_micros, refusal, counter_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** Closes an open (reserved or unsettled) reservation; answers what it held, or no row. */
  private static final String CLOSE =
      "UPDATE reservations SET state = ?, actual_micros = ?"
          + " WHERE id = ? AND state IN ('reserved', 'unsettled')"
          + " RETURNING amount_micros, counter_ids";

  private static final String MOVE_COUNTERS =
      "UPDATE counters SET reserved_micros = reserved_micros - ?,"
          + " settled_micros = settled_micros + ?"
          + " WHERE counter_id IN (SELECT value FROM json_each(?))";
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
    List<String> taken = new ArrayList<>(limits.size());
    PreparedStatement take = s.prepare(TAKE_ROOM);
    for (BudgetLimit limit : limits.values()) {
      long after = amount <= limit.capMicros() ? takeRoom(take, limit, amount) : -1;
      if (after < 0) { // no room: give back what the earlier counters took, keep the refusal
        PreparedStatement giveBack = s.prepare(GIVE_BACK);
        for (String counterId : taken) {
          giveBack.setLong(1, amount);
          giveBack.setString(2, counterId);
          giveBack.executeUpdate();
        }
        long total = total(s.prepare(COUNTER), limit.counterId());
        ReserveOutcome.Exhausted refused = new ReserveOutcome.Exhausted(limit, total, amount);
        insertReservation(
            s, request, "refused", total, limit.capMicros(), refusalJson(refused), "[]");
        return refused;
      }
      taken.add(limit.counterId());
      long room = limit.capMicros() - after;
      if (room < tightestRoom) {
        tightestRoom = room;
        tightestSpent = after;
        tightestCap = limit.capMicros();
      }
    }
    insertReservation(s, request, "reserved", tightestSpent, tightestCap, null, jsonArray(taken));
    return new ReserveOutcome.Reserved(request.reservationId(), tightestSpent, tightestCap);
  }

  /** The counter's total after taking {@code amount}, or -1 when it has no room for it. */
  private static long takeRoom(PreparedStatement take, BudgetLimit limit, long amount)
      throws SQLException {
    take.setString(1, limit.counterId());
    take.setLong(2, amount);
    take.setLong(3, limit.windowEnd().getEpochSecond());
    take.setLong(4, limit.capMicros() - amount);
    try (ResultSet rs = take.executeQuery()) {
      return rs.next() ? rs.getLong(1) : -1;
    }
  }

  @Override
  public void settle(String reservationId, long actualMicros) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    db.write("settle spend", s -> close(s, reservationId, "settled", actualMicros));
  }

  @Override
  public void release(String reservationId) {
    db.write("release spend", s -> close(s, reservationId, "released", 0));
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
                      + " (SELECT value FROM json_each("
                      + "(SELECT counter_ids FROM reservations WHERE id = ?)))");
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
   * stay. A repeated reserve of a purged id is treated as new. Deletes in small transactions,
   * pausing between them, so that reservations are never held up for long.
   *
   * @return how many reservations were deleted
   */
  public int purge(Instant before) {
    int total =
        db.deleteInBatches(
            "purge the ledger",
            PURGE_BATCH,
            s -> {
              PreparedStatement r = s.prepare(PURGE_RESERVATIONS);
              r.setLong(1, before.toEpochMilli());
              return r.executeUpdate();
            });
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

  /**
   * Closes an open reservation in {@code state} at {@code actual} and moves its amount out of its
   * counters' reserved total ({@code actual} into their settled total); nothing when it is not
   * open.
   */
  private static Void close(SqlSession s, String reservationId, String state, long actual)
      throws SQLException {
    PreparedStatement close = s.prepare(CLOSE);
    close.setString(1, state);
    close.setLong(2, actual);
    close.setString(3, reservationId);
    long amount;
    String counterIds;
    try (ResultSet rs = close.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      amount = rs.getLong(1);
      counterIds = rs.getString(2);
    }
    PreparedStatement move = s.prepare(MOVE_COUNTERS);
    move.setLong(1, amount);
    move.setLong(2, actual);
    move.setString(3, counterIds);
    move.executeUpdate();
    return null;
  }

  private static void insertReservation(
      SqlSession s,
      ReserveRequest request,
      String state,
      long spent,
      long cap,
      String refusal,
      String counterIds)
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
    ps.setString(9, counterIds);
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

  private static String jsonArray(List<String> values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a list of strings always writes as JSON", e);
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
