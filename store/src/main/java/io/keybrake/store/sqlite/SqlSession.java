package io.keybrake.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code SqlSession} is one SQLite connection with its prepared statements, kept open for the life
 * of the database. Not thread-safe: {@link SqliteDatabase} lends it to one thread at a time.
 */
public final class SqlSession {
  private final Connection connection;
  private final Map<String, PreparedStatement> statements = new HashMap<>();

  SqlSession(Connection connection) {
    this.connection = connection;
  }

  /**
   * The prepared statement for {@code sql}, compiled once per connection. Callers set every
   * parameter and close the result sets they open; they never close the statement.
   */
  public PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = connection.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  /** Runs a statement without parameters, e.g. {@code BEGIN IMMEDIATE}. */
  public void execute(String sql) throws SQLException {
    prepare(sql).executeUpdate();
  }

  Connection connection() {
    return connection;
  }

  void close() {
    for (PreparedStatement ps : statements.values()) {
      try {
        ps.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
    statements.clear();
    try {
      connection.close();
    } catch (SQLException ignored) {
      // closing anyway
    }
  }
}
