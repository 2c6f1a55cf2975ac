package io.keybrake.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.keybrake.core.store.StoreUnavailableException;
import java.io.Closeable;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code PostgresDatabase} is the fleet store's PostgreSQL database: a small connection pool
 * (HikariCP) on a JDBC URL, with the schema created and migrated on open ({@link
 * PostgresMigrations}). The schema lives in the URL's {@code currentSchema} (default {@code
 * public}). Thread-safe; close it once at shutdown. Failures surface as {@link
 * StoreUnavailableException}.
 */
public final class PostgresDatabase implements Closeable {
  private final HikariDataSource pool;

  private PostgresDatabase(HikariDataSource pool) {
    this.pool = pool;
  }

  /**
   * Opens a pool on {@code url} (a JDBC URL such as {@code
   * jdbc:postgresql://db:5432/keybrake?user=keybrake&password=…}, or a libpq URI {@code
   * postgres://user:password@db:5432/keybrake}; see {@link PostgresUrls}) and migrates the schema.
   *
   * @throws StoreUnavailableException the database cannot be reached or migrated
   */
  public static PostgresDatabase open(String url) {
    return open(url, Settings.DEFAULTS);
  }

  /**
   * Opens a pool on {@code url} (either form) with {@code settings} and migrates the schema.
   *
   * @throws StoreUnavailableException the database cannot be reached or migrated
   */
  public static PostgresDatabase open(String url, Settings settings) {
    String jdbc = PostgresUrls.toJdbc(Objects.requireNonNull(url));
    checkReachable(jdbc, settings.connectTimeout());
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbc);
    config.setPoolName("keybrake-postgres");
    config.setMaximumPoolSize(settings.maxConnections());
    config.setMinimumIdle(1);
    config.setConnectionTimeout(Math.max(250, settings.connectTimeout().toMillis()));
    config.setValidationTimeout(Math.max(250, settings.connectTimeout().toMillis()));
    config.setInitializationFailTimeout(-1);
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    config.addDataSourceProperty(
        "connectTimeout", Long.toString(Math.max(1, settings.connectTimeout().toSeconds())));
    config.addDataSourceProperty(
        "socketTimeout", Long.toString(Math.max(1, settings.socketTimeout().toSeconds())));
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StoreUnavailableException("cannot open the PostgreSQL connection pool", e);
    }
    PostgresDatabase db = new PostgresDatabase(pool);
    try {
      db.run("migrate the PostgreSQL schema", PostgresMigrations::migrate);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return db;
  }

  /**
   * Opens and closes one connection outside the pool, so a database that cannot be used is reported
   * with the server's own words ({@code database "keybrake" does not exist}, {@code password
   * authentication failed for user "…"}, {@code Connection to db:5432 refused}) rather than as the
   * pool's "Connection is not available".
   *
   * @throws StoreUnavailableException with that cause
   */
  static void checkReachable(String jdbcUrl, Duration timeout) {
    java.util.Properties props = new java.util.Properties();
    String seconds = Long.toString(Math.max(1, timeout.toSeconds()));
    props.setProperty("connectTimeout", seconds);
    props.setProperty("loginTimeout", seconds);
    try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, props)) {
      c.isValid(Math.max(1, (int) timeout.toSeconds()));
    } catch (SQLException e) {
      throw new StoreUnavailableException(
          "cannot connect to PostgreSQL at " + PostgresUrls.where(jdbcUrl) + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Runs {@code work} on a pooled connection in one transaction, committed when it returns and
   * rolled back when it throws.
   *
   * @param what what the work does, for the error message
   * @throws StoreUnavailableException the database failed
   */
  public <T> T run(String what, Work<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the original failure matters
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreUnavailableException("PostgreSQL: cannot " + what + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  /** Work on one connection inside a transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /**
   * Pool settings.
   *
   * @param maxConnections pool size
   * @param connectTimeout how long to wait for a connection (pool and TCP)
   * @param socketTimeout how long one statement may wait for the server before it fails
   */
  public record Settings(int maxConnections, Duration connectTimeout, Duration socketTimeout) {
    public static final Settings DEFAULTS =
        new Settings(8, Duration.ofSeconds(2), Duration.ofSeconds(30));

    public Settings {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1");
      }
      Objects.requireNonNull(connectTimeout);
      Objects.requireNonNull(socketTimeout);
    }
  }
}
