package io.keybrake.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code AuditPartitions} keeps one partition of the {@code audit} table per UTC day, named {@code
 * audit_pYYYYMMDD} and covering {@code [day 00:00Z, next day 00:00Z)}. {@link #ensure} creates the
 * partition of a day and the {@link #DAYS_AHEAD} days after it the first time this process sees
 * that day, under an advisory lock so that instances do not race. There is no default partition: a
 * row is never parked where a later partition could not be attached. Thread-safe.
 */
public final class AuditPartitions {
  /** How many days after a day seen are created with it. */
  public static final int DAYS_AHEAD = 7;

  private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'audit_p'yyyyMMdd");

  private final PostgresDatabase db;
  private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();

  AuditPartitions(PostgresDatabase db) {
    this.db = Objects.requireNonNull(db);
  }

  /** The partition's table name for {@code day}. */
  public static String name(LocalDate day) {
    return NAME.format(day);
  }

  /** Makes sure the partitions of {@code day} and the {@link #DAYS_AHEAD} days after it exist. */
  public void ensure(LocalDate day) {
    if (known.contains(day)) {
      return;
    }
    List<LocalDate> created =
        db.run(
            "create audit partitions",
            c -> {
              try (Statement st = c.createStatement()) {
                st.execute(
                    "SELECT pg_advisory_xact_lock("
                        + "hashtext(current_schema() || '.keybrake_partitions'))");
              }
              List<LocalDate> days = new ArrayList<>();
              for (int i = 0; i <= DAYS_AHEAD; i++) {
                LocalDate d = day.plusDays(i);
                createIfMissing(c, d);
                days.add(d);
              }
              return days;
            });
    known.addAll(created);
  }

  /** The days that have a partition, oldest first. */
  public List<LocalDate> days() {
    return db.run(
        "list audit partitions",
        c -> {
          List<LocalDate> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT child.relname FROM pg_inherits i"
                          + " JOIN pg_class child ON child.oid = i.inhrelid"
                          + " WHERE i.inhparent = 'audit'::regclass ORDER BY child.relname");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(LocalDate.parse(rs.getString(1), NAME));
            }
          }
          return out;
        });
  }

  private static void createIfMissing(Connection c, LocalDate day) throws SQLException {
    String table = name(day);
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          return;
        }
      }
    }
    String from = day.atStartOfDay(ZoneOffset.UTC).toOffsetDateTime().toString();
    String to = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toOffsetDateTime().toString();
    try (Statement st = c.createStatement()) {
      // names and bounds come from a LocalDate, never from input
      st.execute(
          "CREATE TABLE "
              + table
              + " PARTITION OF audit FOR VALUES FROM ('"
              + from
              + "') TO ('"
              + to
              + "')");
      st.execute(
          "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON "
              + table
              + " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()");
    }
  }
}
