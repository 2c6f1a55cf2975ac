package io.keybrake.cli;

import io.keybrake.cli.settings.Settings;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.store.EmbeddedStore;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresDatabase;
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

  /** Walks the hash chain; exit 0 when intact, 1 naming the first tampered row. */
  @Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify the hash chain.")
  static final class Verify implements Callable<Integer> {
    @Mixin EnvFlags flags = new EnvFlags();

    @Override
    public Integer call() throws Exception {
      Settings settings = flags.settingsOrReport(System.getenv());
      if (settings == null) {
        return 2;
      }
      if (settings.store().equals("redis")) {
        // fleet mode: the chain lives in PostgreSQL (rows still in a write-ahead file are not
        // in it yet)
        try (PostgresDatabase db = PostgresDatabase.open(settings.postgresUrl().orElseThrow())) {
          return report(new PostgresAuditLog(db, Clock.systemUTC()).verify());
        }
      }
      try (EmbeddedStore store =
          EmbeddedStore.open(settings.dataDir(), settings.kekBase64(), Clock.systemUTC())) {
        return report(store.auditLog().verify());
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
