package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keybrake budgets create|list}: fleet and vendor budgets through the admin API. */
@Command(
    name = "budgets",
    mixinStandardHelpOptions = true,
    description = "Create and list fleet and vendor budgets (admin API).",
    footer = AdminOptions.ENV_HELP,
    subcommands = {BudgetsCommand.Create.class, BudgetsCommand.ListBudgets.class})
public final class BudgetsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a budget over the keys with some labels, or over one vendor's keys.",
      footer = AdminOptions.ENV_HELP)
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    @Option(names = "--name", required = true, description = "Budget name.")
    String name;

    @Option(names = "--label", description = "Select keys with label k=v (repeat: all).")
    List<String> labels;

    @Option(names = "--vendor", description = "Select every key of this vendor.")
    String vendor;

    @Option(names = "--daily-usd", description = "Daily cap in USD (UTC days).")
    BigDecimal daily;

    @Option(names = "--monthly-usd", description = "Monthly cap in USD (calendar months, UTC).")
    BigDecimal monthly;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AdminClient client = admin.client(err);
      Map<String, String> l = Labels.parse(labels);
      if (client == null || l == null) {
        return Exit.USAGE;
      }
      ObjectNode body = AdminClient.JSON.createObjectNode();
      body.put("name", name);
      ObjectNode selector = body.putObject("selector");
      if (vendor != null) {
        selector.put("vendor", vendor);
      }
      if (!l.isEmpty()) {
        ObjectNode ln = selector.putObject("labels");
        l.forEach(ln::put);
      }
      if (daily != null) {
        body.put("daily_usd_cap", daily);
      }
      if (monthly != null) {
        body.put("monthly_usd_cap", monthly);
      }
      AdminClient.Answer a = client.post("budgets", body);
      if (!a.ok()) {
        err.println("keybrake: " + a.error());
        return a.exitCode();
      }
      admin.print(
          spec.commandLine().getOut(),
          a.body(),
          List.of(a.body()),
          List.of("name", "selector", "daily_usd_cap", "monthly_usd_cap"));
      return Exit.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List budgets with their spend in the current windows.",
      footer = AdminOptions.ENV_HELP)
  static final class ListBudgets implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AdminClient client = admin.client(err);
      if (client == null) {
        return Exit.USAGE;
      }
      AdminClient.Answer a = client.get("budgets");
      if (!a.ok()) {
        err.println("keybrake: " + a.error());
        return a.exitCode();
      }
      List<JsonNode> rows = new ArrayList<>();
      for (JsonNode b : a.body().path("budgets")) {
        for (JsonNode s : b.path("spend")) {
          ObjectNode r = s.deepCopy();
          r.put("name", b.path("name").asText());
          r.set("selector", b.path("selector"));
          rows.add(r);
        }
        if (b.path("spend").isEmpty()) {
          rows.add(b);
        }
      }
      admin.print(
          spec.commandLine().getOut(),
          a.body(),
          rows,
          List.of(
              "name",
              "selector",
              "budget",
              "spent_usd",
              "reserved_usd",
              "cap_usd",
              "remaining_usd"));
      return Exit.OK;
    }
  }
}
