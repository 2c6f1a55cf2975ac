package io.keybrake.store.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh, uniquely named schema in the test database for one test class, dropped on close. The
 * server is {@link TestPostgres}'s: {@code KEYBRAKE_TEST_POSTGRES_URL}, else one the JVM starts.
 */
public final class TestSchema implements AutoCloseable {
  private final String baseUrl;
  private final String name;

  private TestSchema(String baseUrl, String name) {
    this.baseUrl = baseUrl;
    this.name = name;
  }

  public static TestSchema create() throws SQLException {
    String base = TestPostgres.baseUrl();
    String name = "kbtest_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection(base);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + name);
    }
    return new TestSchema(base, name);
  }

  public String name() {
    return name;
  }

  /** The JDBC URL with this schema as the current one. */
  public String url() {
    return withSchema(baseUrl);
  }

  /** The JDBC URL pointed at {@code 127.0.0.1:port} (a proxy) instead of the server. */
  public String urlVia(int port) {
    String rest = baseUrl.substring("jdbc:postgresql://".length());
    String path = rest.substring(rest.indexOf('/'));
    return withSchema("jdbc:postgresql://127.0.0.1:" + port + path);
  }

  /** The server's host and port, for a proxy. */
  public java.net.InetSocketAddress server() {
    String rest = baseUrl.substring("jdbc:postgresql://".length());
    String hostPort = rest.substring(0, rest.indexOf('/'));
    int colon = hostPort.lastIndexOf(':');
    return colon < 0
        ? new java.net.InetSocketAddress(hostPort, 5432)
        : new java.net.InetSocketAddress(
            hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url());
  }

  private String withSchema(String url) {
    return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + name;
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + name + " CASCADE");
    }
  }
}
