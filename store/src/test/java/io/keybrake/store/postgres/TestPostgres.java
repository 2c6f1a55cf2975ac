package io.keybrake.store.postgres;

/**
 * The PostgreSQL server the tests use: the one {@code KEYBRAKE_TEST_POSTGRES_URL} names (a JDBC URL
 * whose user may create schemas), else a {@link PostgresServer} this JVM starts on first use, on a
 * free port, and stops at exit. Tests isolate themselves in a schema of their own ({@link
 * TestSchema}), so one server serves every test class of the JVM. Thread-safe.
 */
public final class TestPostgres {
  /** The environment variable that points the tests at an existing server. */
  public static final String ENV = "KEYBRAKE_TEST_POSTGRES_URL";

  private static String started;

  private TestPostgres() {}

  /** The JDBC URL of the test database; starts the JVM's own server on the first call. */
  public static synchronized String baseUrl() {
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      return env;
    }
    if (started == null) {
      PostgresServer server = PostgresServer.start();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "test-postgres-stop"));
      started = server.jdbcUrl("test");
    }
    return started;
  }
}
