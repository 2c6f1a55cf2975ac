package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.store.postgres.PostgresUrls;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keybrake spend}: spend reports from the PostgreSQL audit log (fleet mode), running the
 * queries of {@code docs/reporting.md} exactly as printed there.
 */
@Command(
    name = "spend",
    mixinStandardHelpOptions = true,
    description = {
      "Spend from the PostgreSQL audit log, with the queries of docs/reporting.md:",
      "  --by key      spend per key over its life (--selector '{\"team\":\"growth\"}')",
      "  --by label    one UTC day by the value of one label (--label team --day 2026-11-22)",
      "  --by vendor   per vendor per UTC day (--from 2026-11-01 --to 2026-11-23)",
      "  --by month    month to date per vendor, projected to the whole month (--as-of)"
    },
    footer =
        "%nEnvironment:%n"
            + "  KEYBRAKE_POSTGRES_URL  the fleet's PostgreSQL (postgres://… or jdbc:postgresql:…);"
            + " a read-only role is enough%n"
            + "%nExit codes: 0 done, 1 failed, 2 bad usage, 3 PostgreSQL unreachable%n")
public final class SpendCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--by", defaultValue = "key", description = "key, label, vendor or month.")
  String by;

  @Option(
      names = "--selector",
      defaultValue = "{}",
      description = "Key labels (JSON) for --by key.")
  String selector;

  @Option(names = "--label", description = "The label for --by label, e.g. team.")
  String label;

  @Option(names = "--day", description = "UTC day for --by label (default today).")
  String day;

  @Option(names = "--from", description = "First UTC day for --by vendor (default 7 days ago).")
  String from;

  @Option(names = "--to", description = "Day after the last for --by vendor (default tomorrow).")
  String to;

  @Option(names = "--as-of", description = "Instant for --by month (default now).")
  String asOf;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table (default) or json.")
  String output;

  /** The clock that gives "today" and "now"; tests replace it. */
  static volatile Clock clock = Clock.systemUTC();

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    String url = CliEnvironment.get("KEYBRAKE_POSTGRES_URL", null);
    if (url == null) {
      err.println("keybrake: set KEYBRAKE_POSTGRES_URL (spend reports read the fleet's audit log)");
      return Exit.USAGE;
    }
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    String report;
    Map<String, String> vars;
    switch (by.toLowerCase(Locale.ROOT)) {
      case "key" -> {
        report = "spend_per_run";
        vars = Map.of("selector", selector);
      }
      case "label" -> {
        if (label == null) {
          err.println("keybrake: --by label needs --label <name>");
          return Exit.USAGE;
        }
        report = "fleet_by_label";
        vars = Map.of("label", label, "day", day != null ? day : today.toString());
      }
      case "vendor" -> {
        report = "vendor_daily_trend";
        vars =
            Map.of(
                "from", from != null ? from : today.minusDays(7).toString(),
                "to", to != null ? to : today.plusDays(1).toString());
      }
      case "month" -> {
        report = "projected_month";
        vars = Map.of("as_of", asOf != null ? asOf : clock.instant().toString());
      }
      default -> {
        err.println("keybrake: --by must be key, label, vendor or month");
        return Exit.USAGE;
      }
    }
    String sql = ReportQueries.load().get(report);
    List<Map<String, Object>> rows;
    try (Connection c = DriverManager.getConnection(PostgresUrls.toJdbc(url))) {
      c.setReadOnly(true);
      rows = ReportQueries.run(c, sql, vars);
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        throw new Cli.Unreachable("cannot reach PostgreSQL: " + e.getMessage());
      }
      err.println("keybrake: the report failed: " + e.getMessage());
      return Exit.FAILED;
    } catch (IllegalArgumentException e) {
      err.println("keybrake: " + e.getMessage());
      return Exit.USAGE;
    }
    PrintWriter out = spec.commandLine().getOut();
    List<JsonNode> nodes = new ArrayList<>();
    List<String> columns = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      ObjectNode o = AdminClient.JSON.createObjectNode();
      row.forEach((k, v) -> o.set(k, AdminClient.JSON.valueToTree(v)));
      nodes.add(o);
      if (columns.isEmpty()) {
        columns.addAll(row.keySet());
      }
    }
    if (output.equalsIgnoreCase("json")) {
      ObjectNode o = AdminClient.JSON.createObjectNode();
      o.put("report", report);
      ArrayNode a = o.putArray("rows");
      nodes.forEach(a::add);
      out.println(o.toPrettyString());
    } else if (nodes.isEmpty()) {
      out.println("no rows");
    } else {
      Table.print(out, nodes, columns);
    }
    out.flush();
    return Exit.OK;
  }
}
