package io.keybrake.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PostgresMigrations} brings the schema to the newest version by running the versioned SQL
 * files under {@code resources/postgres/} that it has not run yet, recorded in {@code
 * schema_version}. All of it runs in one transaction (PostgreSQL DDL is transactional) under an
 * advisory lock, so instances starting together migrate once. The list below is the registry: a new
 * migration is a new file and a new line. Stateless and thread-safe.
 */
final class PostgresMigrations {
  /** Every migration in order; the number after {@code V} is its version. */
  static final List<String> FILES =
      List.of(
          "V1__init.sql",
          "V2__budgets.sql",
          "V3__key_changes.sql",
          "V4__budget_notifications.sql",
          "V5__audit_cap.sql",
          "V6__archive_indexes.sql",
          "V7__audit_settled_index.sql");

  private static final Logger LOG = LoggerFactory.getLogger(PostgresMigrations.class);

  private PostgresMigrations() {}

  static int latestVersion() {
    return version(FILES.get(FILES.size() - 1));
  }

  /** Applies the pending migrations in the caller's transaction; returns the schema version. */
  static int migrate(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.keybrake_migrate'))");
      st.execute(
          "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY,"
              + " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      int current;
      try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
        rs.next();
        current = rs.getInt(1);
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
        st.execute(load(file));
        try (PreparedStatement ps =
            c.prepareStatement("INSERT INTO schema_version (version, name) VALUES (?, ?)")) {
          ps.setInt(1, v);
          ps.setString(2, file);
          ps.executeUpdate();
        }
        LOG.info("applied PostgreSQL schema migration {}", file);
        current = v;
      }
      return current;
    }
  }

  static int version(String file) {
    return Integer.parseInt(file.substring(1, file.indexOf("__")));
  }

  private static String load(String file) throws SQLException {
    try (InputStream in = PostgresMigrations.class.getResourceAsStream("/postgres/" + file)) {
      if (in == null) {
        throw new SQLException("migration /postgres/" + file + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SQLException("cannot read migration " + file, e);
    }
  }
}
