package io.keybrake.cli;

import io.keybrake.cli.settings.Settings;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.store.EmbeddedStore;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresDatabase;
import io.keybrake.store.postgres.PostgresUrls;
import io.keybrake.store.sqlite.SqliteDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keybrake audit …}: work with the audit log. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Audit log tools.",
    subcommands = {AuditCommand.Verify.class, io.keybrake.cli.admin.AuditTailCommand.class})
final class AuditCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /**
   * Walks the hash chain; exit 0 when intact, 1 naming the first tampered row, 2 for invalid
   * settings, {@value #NO_STORE} when there is no audit log where the settings point (it never
   * creates one: verifying an empty store it just made would prove nothing).
   */
  @Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify the hash chain.")
  static final class Verify implements Callable<Integer> {
    static final int NO_STORE = 3;

    @Mixin EnvFlags flags = new EnvFlags();

    @Override
    public Integer call() throws Exception {
      return verify(System.getenv());
    }

    /** The command against {@code environment} (flags applied on top); returns the exit code. */
    int verify(java.util.Map<String, String> environment) throws Exception {
      Settings settings = flags.settingsOrReport(environment);
      if (settings == null) {
        return 2;
      }
      if (settings.store().equals("redis")) {
        // fleet mode: the chain lives in PostgreSQL (rows still in a write-ahead file are not
        // in it yet)
        String url = settings.postgresUrl().orElseThrow();
        if (!postgresHasAuditLog(url)) {
          return noStore("the PostgreSQL database has no Keybrake audit log (no audit_head table)");
        }
        try (PostgresDatabase db = PostgresDatabase.open(url)) {
          return report(new PostgresAuditLog(db, Clock.systemUTC()).verify());
        }
      }
      Path file = settings.dataDir().resolve(SqliteDatabase.FILE_NAME);
      if (!Files.isRegularFile(file)) {
        return noStore("there is no embedded store at " + file);
      }
      try (EmbeddedStore store =
          EmbeddedStore.open(settings.dataDir(), settings.kekBase64(), Clock.systemUTC())) {
        return report(store.auditLog().verify());
      }
    }

    private static int noStore(String why) {
      System.err.println(
          "keybrake: nothing to verify: "
              + why
              + "; set KEYBRAKE_DATA_DIR (or KEYBRAKE_STORE=redis and KEYBRAKE_POSTGRES_URL) to"
              + " the store to verify");
      return NO_STORE;
    }

    /** Whether the database holds Keybrake's audit chain, without creating anything. */
    private static boolean postgresHasAuditLog(String url) throws SQLException {
      try (Connection c = DriverManager.getConnection(PostgresUrls.toJdbc(url));
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT to_regclass('audit_head') IS NOT NULL")) {
        return rs.next() && rs.getBoolean(1);
      }
    }

    private static int report(ChainVerification v) {
      if (v.ok()) {
        System.out.println("audit chain intact: " + v.rows() + " rows verified");
        return 0;
      }
      System.out.println(
          "audit chain BROKEN at row " + v.firstBadSeq().getAsLong() + ": " + v.problem());
      return 1;
    }
  }
}
