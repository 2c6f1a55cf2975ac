package io.keybrake.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SchemaMigrations} brings a database to the newest schema by running the versioned SQL
 * files under {@code resources/sqlite/} that it has not run yet, recorded in {@code
 * schema_version}. The list below is the registry: a new migration is a new file and a new line.
 * Stateless and thread-safe; run it on the writer connection before any other work.
 */
final class SchemaMigrations {
  /** Every migration in order; the number after {@code V} is its version. */
  static final List<String> FILES =
      List.of(
          "V1__init.sql",
          "V2__budgets.sql",
          "V3__key_changes.sql",
          "V4__budget_notifications.sql",
          "V5__audit_cap.sql",
          "V6__guard_counters.sql",
          "V7__archive_indexes.sql",
          "V8__reservation_counter_ids.sql",
          "V9__audit_settled_index.sql");

  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrations.class);

  private SchemaMigrations() {}

  static int latestVersion() {
    return version(FILES.get(FILES.size() - 1));
  }

  /** Applies the pending migrations in one immediate transaction; returns the schema version. */
  static int migrate(SqlSession session) throws SQLException {
    try (Statement st = session.connection().createStatement()) {
      st.executeUpdate("BEGIN IMMEDIATE");
      try {
        st.executeUpdate(
            "CREATE TABLE IF NOT EXISTS schema_version ("
                + "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        int current = 0;
        try (ResultSet rs =
            st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
          if (rs.next()) {
            current = rs.getInt(1);
          }
        }
        if (current > latestVersion()) {
          throw new SQLException(
              "database schema version "
                  + current
                  + " is newer than this Keybrake understands ("
                  + latestVersion()
                  + ")");
        }
        for (String file : FILES) {
          int v = version(file);
          if (v <= current) {
            continue;
          }
          st.executeUpdate(load(file));
          st.executeUpdate(
              "INSERT INTO schema_version(version, name, applied_at) VALUES ("
                  + v
                  + ", '"
                  + file
                  + "', "
                  + System.currentTimeMillis()
                  + ")");
          LOG.info("applied schema migration {}", file);
          current = v;
        }
        st.executeUpdate("COMMIT");
        return current;
      } catch (SQLException | RuntimeException e) {
        try {
          st.executeUpdate("ROLLBACK");
        } catch (SQLException ignored) {
          // the original failure matters
        }
        throw e;
      }
    }
  }

  static int version(String file) {
    int sep = file.indexOf("__");
    return Integer.parseInt(file.substring(1, sep));
  }

  /** The text of migration {@code file}. */
  static String load(String file) throws SQLException {
    try (InputStream in = SchemaMigrations.class.getResourceAsStream("/sqlite/" + file)) {
      if (in == null) {
        throw new SQLException("migration /sqlite/" + file + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SQLException("cannot read migration " + file, e);
    }
  }
}
