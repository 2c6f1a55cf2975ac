package io.keybrake.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keybrake audit verify} refuses to report on a store that is not there. */
class AuditVerifyIT {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run verify(Map<String, String> env) throws Exception {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = new AuditCommand.Verify().verify(env);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String postgresBase() {
    return io.keybrake.store.postgres.TestPostgres.baseUrl();
  }

  @Test
  void emptyDataDirIsNothingToVerifyAndStaysEmpty() throws Exception {
    Run r = verify(Map.of("KEYBRAKE_DATA_DIR", dir.toString()));

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AuditCommand.Verify.NO_STORE);
    assertThat(r.out()).doesNotContain("verified");
    assertThat(r.err()).contains("nothing to verify").contains("keybrake.db");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void postgresWithoutAnAuditLogIsNothingToVerifyAndGetsNoSchema() throws Exception {
    String schema = "kb_verify_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String base = postgresBase();
    try (Connection c = DriverManager.getConnection(base);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    try {
      Run r =
          verify(
              Map.of(
                  "KEYBRAKE_DATA_DIR",
                  dir.toString(),
                  "KEYBRAKE_STORE",
                  "redis",
                  "KEYBRAKE_REDIS_URL",
                  "redis://127.0.0.1:1",
                  "KEYBRAKE_POSTGRES_URL",
                  url,
                  "KEYBRAKE_KEK",
                  Base64.getEncoder().encodeToString(new byte[32])));

      assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AuditCommand.Verify.NO_STORE);
      assertThat(r.err()).contains("no Keybrake audit log");
      try (Connection c = DriverManager.getConnection(url);
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*) FROM information_schema.tables WHERE table_schema = '"
                      + schema
                      + "'")) {
        rs.next();
        assertThat(rs.getLong(1)).isZero();
      }
    } finally {
      try (Connection c = DriverManager.getConnection(base);
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }
}
