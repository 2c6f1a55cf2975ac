package io.keybrake.cli.prices;

import io.keybrake.cli.admin.CliEnvironment;
import io.keybrake.cli.admin.Exit;
import io.keybrake.core.pricing.PriceTable;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code keybrake prices} verbs. */
public final class PriceSync {
  /** The clock that dates a synced table and ages a shown one; tests replace it. */
  public static volatile Clock clock = Clock.systemUTC();

  private static final String ENV =
      "%nEnvironment:%n"
          + "  KEYBRAKE_DATA_DIR             where the synced table is kept (default ./.keybrake);"
          + " processes started on it use it%n";

  private PriceSync() {}

  static Path dataDir(String flag) {
    String d = flag != null ? flag : CliEnvironment.get().get("KEYBRAKE_DATA_DIR");
    return Path.of(d == null || d.isBlank() ? "./.keybrake" : d);
  }

  /** {@code keybrake prices sync}. */
  @Command(
      name = "sync",
      mixinStandardHelpOptions = true,
      description = {
        "Refresh the Twilio price table from Twilio's Pricing API with the real account credential.",
        "Writes <data dir>/prices/twilio-prices.yaml; restart the data-plane processes to use it."
      },
      footer =
          ENV
              + "  TWILIO_ACCOUNT_SID            the Twilio account (AC…)%n"
              + "  TWILIO_AUTH_TOKEN             its auth token%n"
              + "  KEYBRAKE_TWILIO_PRICING_URL   the Pricing API base URL (default"
              + " https://pricing.twilio.com)%n"
              + "%nExit codes: 0 done, 1 failed, 2 bad usage, 3 Twilio unreachable%n")
  public static final class Sync implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data-dir", description = "Overrides KEYBRAKE_DATA_DIR.")
    String dataDir;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      String sid = CliEnvironment.get().get("TWILIO_ACCOUNT_SID");
      String token = CliEnvironment.get().get("TWILIO_AUTH_TOKEN");
      if (sid == null || token == null || sid.isBlank() || token.isBlank()) {
        err.println("keybrake: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
        return Exit.USAGE;
      }
      String base =
          CliEnvironment.get()
              .getOrDefault("KEYBRAKE_TWILIO_PRICING_URL", "https://pricing.twilio.com");
      Path dir = dataDir(dataDir);
      Path file = PriceFiles.twilio(dir);
      String text;
      try (InputStream current =
          Files.exists(file)
              ? Files.newInputStream(file)
              : PriceTable.class.getResourceAsStream("/pricing/twilio-prices.yaml")) {
        text =
            new TwilioPriceSync(URI.create(base), sid.trim(), token.trim())
                .sync(current, LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
      } catch (java.io.IOException | IllegalArgumentException e) {
        err.println("keybrake: price sync failed: " + e.getMessage());
        return Exit.FAILED;
      }
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      PrintWriter out = spec.commandLine().getOut();
      out.println("synced the Twilio price table into " + file);
      out.flush();
      return Exit.OK;
    }
  }

  /** {@code keybrake prices show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description =
          "Show which Twilio price table is used, its date and age, and a country's rates.",
      footer = ENV + "%nExit codes: 0 done, 1 the synced table is unreadable%n")
  public static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data-dir", description = "Overrides KEYBRAKE_DATA_DIR.")
    String dataDir;

    @Option(names = "--country", defaultValue = "US", description = "ISO country (default US).")
    String country;

    @Override
    public Integer call() {
      Path dir = dataDir(dataDir);
      PriceTable table;
      try {
        table = PriceFiles.load(dir);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("keybrake: " + e.getMessage());
        return Exit.FAILED;
      }
      boolean synced = Files.exists(PriceFiles.twilio(dir));
      long days =
          Duration.between(table.asOf().atStartOfDay(ZoneOffset.UTC).toInstant(), clock.instant())
              .toDays();
      String c = country.toUpperCase(java.util.Locale.ROOT);
      PrintWriter out = spec.commandLine().getOut();
      out.println("table     " + (synced ? PriceFiles.twilio(dir) : "shipped with keybrake"));
      out.println("as_of     " + table.asOf() + " (" + days + " days old)");
      out.println("source    " + table.source());
      out.println(
          "country   "
              + c
              + (table.lists(c) ? "" : " (not listed: the default rates apply)")
              + "  sms "
              + io.keybrake.core.money.Micros.format(table.smsSegmentMicros(c))
              + "  mms "
              + io.keybrake.core.money.Micros.format(table.mmsMicros(c))
              + "  voice/min "
              + io.keybrake.core.money.Micros.format(table.voicePerMinuteMicros(c)));
      out.flush();
      return Exit.OK;
    }
  }
}
