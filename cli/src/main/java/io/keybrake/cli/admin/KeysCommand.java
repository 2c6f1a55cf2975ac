package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.cli.settings.VendorDirectory;
import io.keybrake.core.vendor.CredentialField;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keybrake keys create|list|get|revoke}: vault keys through the admin API. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Create, list, show and revoke vault keys (admin API).",
    footer = AdminOptions.ENV_HELP,
    subcommands = {
      KeysCommand.Create.class,
      KeysCommand.ListKeys.class,
      KeysCommand.Get.class,
      KeysCommand.Revoke.class
    })
public final class KeysCommand implements Runnable {
  @Spec CommandSpec spec;

  static final List<String> COLUMNS =
      List.of("id", "name", "vendor", "status", "labels", "created_at", "expires_at");

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code keys create}: the vendor credential comes from the environment, never a flag. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a vault key. Prints its vault_key once; only its hash is stored.",
      footer =
          "%nEnvironment (the vendor credential, read for --vendor):%n"
              + "  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN   for twilio%n"
              + "  STRIPE_SECRET_KEY                       for stripe%n"
              + "  RESEND_API_KEY                          for resend%n"
              + "  <VENDOR>_<FIELD>                        for a spec vendor: one per credential%n"
              + "                                          field of its spec, the admin API's%n"
              + "                                          field upper-cased (SENDGRID_API_KEY;%n"
              + "                                          VONAGE_API_KEY, VONAGE_API_SECRET)%n"
              + "  KEYBRAKE_VENDOR_DIR                     the server's directory of vendor spec%n"
              + "                                          files; needed for a spec vendor%n"
              + AdminOptions.ENV_HELP)
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    @Option(names = "--name", required = true, description = "Key name, e.g. support-bot-prod.")
    String name;

    @Option(
        names = "--vendor",
        required = true,
        description =
            "The vendor id: twilio, stripe, resend, or a spec vendor of KEYBRAKE_VENDOR_DIR.")
    String vendor;

    @Option(names = "--label", description = "A label k=v (repeat for several).")
    List<String> labels;

    @Option(names = "--policy", description = "The policy as JSON, e.g. '{\"daily_usd_cap\":5}'.")
    String policy;

    @Option(names = "--policy-file", description = "A file holding the policy JSON.")
    Path policyFile;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AdminClient client = admin.client(err);
      Map<String, String> l = Labels.parse(labels);
      if (client == null || l == null) {
        if (l == null) {
          err.println("keybrake: --label must be k=v");
        }
        return Exit.USAGE;
      }
      ObjectNode body = AdminClient.JSON.createObjectNode();
      body.put("name", name);
      body.put("vendor", vendor.toLowerCase(Locale.ROOT));
      VendorSpec vendorSpec = vendorSpec(vendor.toLowerCase(Locale.ROOT), err);
      if (vendorSpec == null) {
        return Exit.USAGE;
      }
      for (CredentialField f : vendorSpec.credential()) {
        String field = f.adminField(vendorSpec.id());
        if (!credential(body, field, credentialVariable(vendorSpec.id(), f), err)) {
          return Exit.USAGE;
        }
      }
      ObjectNode labelNode = body.putObject("labels");
      l.forEach(labelNode::put);
      try {
        String p = policyFile != null ? Files.readString(policyFile) : policy;
        if (p != null) {
          body.set("policy", AdminClient.JSON.readTree(p));
        }
      } catch (IOException e) {
        err.println("keybrake: the policy is not readable JSON: " + e.getMessage());
        return Exit.USAGE;
      }
      AdminClient.Answer a = client.post("keys", body);
      if (!a.ok()) {
        err.println("keybrake: " + a.error());
        return a.exitCode();
      }
      admin.print(
          spec.commandLine().getOut(),
          a.body(),
          List.of(a.body()),
          List.of("id", "name", "vendor", "vault_key", "labels", "expires_at"));
      return Exit.OK;
    }

    /**
     * The vendor's spec from the vendors the server would load: the jar's and those of {@code
     * KEYBRAKE_VENDOR_DIR} in this command's environment. Null (after saying why) when the
     * directory does not load or does not hold the vendor.
     */
    private static VendorSpec vendorSpec(String id, PrintWriter err) {
      List<String> problems = new ArrayList<>();
      VendorRegistry vendors = VendorDirectory.load(CliEnvironment.get(), problems);
      if (!problems.isEmpty()) {
        problems.forEach(p -> err.println("keybrake: " + p));
        return null;
      }
      Optional<VendorSpec> spec = vendors.find(id);
      if (spec.isPresent()) {
        return spec.get();
      }
      String dir = CliEnvironment.get(VendorDirectory.ENV, null);
      err.println(
          "keybrake: --vendor must be one of "
              + String.join(", ", vendors.ids())
              + (dir == null
                  ? "; a spec vendor needs "
                      + VendorDirectory.ENV
                      + " set to the directory of its spec file, as the server has it"
                  : " (the built-in vendors and those of "
                      + VendorDirectory.ENV
                      + "="
                      + dir
                      + ")"));
      return null;
    }

    /** {@code TWILIO_ACCOUNT_SID}: the admin API's field for it, upper-cased. */
    static String credentialVariable(String vendor, CredentialField field) {
      return field.adminField(vendor).toUpperCase(Locale.ROOT);
    }

    private static boolean credential(ObjectNode body, String field, String env, PrintWriter err) {
      String v = CliEnvironment.get(env, null);
      if (v == null) {
        err.println("keybrake: set " + env + " (the real vendor credential)");
        return false;
      }
      body.put(field, v);
      return true;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List keys (never a secret).",
      footer = AdminOptions.ENV_HELP)
  static final class ListKeys implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    @Option(names = "--label", description = "Only keys with this label k=v (repeat: all).")
    List<String> labels;

    @Option(names = "--status", description = "Only keys in this status: active, revoked, expired.")
    String status;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AdminClient client = admin.client(err);
      Map<String, String> l = Labels.parse(labels);
      if (client == null || l == null) {
        return Exit.USAGE;
      }
      AdminClient.Answer a = client.get("keys");
      if (!a.ok()) {
        err.println("keybrake: " + a.error());
        return a.exitCode();
      }
      List<JsonNode> keys = select(a.body(), l, status);
      ArrayNode array = AdminClient.JSON.createArrayNode();
      keys.forEach(array::add);
      ObjectNode out = AdminClient.JSON.createObjectNode();
      out.set("keys", array);
      admin.print(spec.commandLine().getOut(), out, keys, COLUMNS);
      return Exit.OK;
    }
  }

  static List<JsonNode> select(JsonNode listed, Map<String, String> labels, String status) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode k : listed.path("keys")) {
      if (Labels.matches(k, labels)
          && (status == null || status.equals(k.path("status").asText()))) {
        out.add(k);
      }
    }
    return out;
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "Show one key and its spend.",
      footer = AdminOptions.ENV_HELP)
  static final class Get implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    @Parameters(paramLabel = "KEY_ID", description = "The key's id (key_…).")
    String id;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AdminClient client = admin.client(err);
      if (client == null) {
        return Exit.USAGE;
      }
      AdminClient.Answer a = client.get("keys/" + AdminClient.encode(id));
      if (!a.ok()) {
        err.println("keybrake: " + a.error());
        return a.exitCode();
      }
      AdminClient.Answer spend = client.get("keys/" + AdminClient.encode(id) + "/spend");
      ObjectNode out = a.body().deepCopy();
      if (spend.ok()) {
        out.set("spend", spend.body());
      }
      admin.print(spec.commandLine().getOut(), out, List.of(out), COLUMNS);
      if (!admin.json() && spend.ok()) {
        PrintWriter o = spec.commandLine().getOut();
        o.println();
        List<JsonNode> budgets = new ArrayList<>();
        spend.body().path("budgets").forEach(budgets::add);
        if (budgets.isEmpty()) {
          budgets.add(spend.body());
        }
        Table.print(
            o, budgets, List.of("budget", "spent_usd", "reserved_usd", "cap_usd", "remaining_usd"));
        o.flush();
      }
      return Exit.OK;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = {
        "Revoke keys by id, or every key with the given labels.",
        "By id: one DELETE /keys/{id} per key, printing each result. With --label: one"
            + " DELETE /keys?label=name:value call revokes every active key with all the labels"
            + " (on every instance at once) and prints how many; exit 4 when none matched."
            + " Revoking is idempotent: run it again after a partial failure."
      },
      footer = AdminOptions.ENV_HELP)
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    @Parameters(arity = "0..*", paramLabel = "KEY_ID", description = "Key ids to revoke.")
    List<String> ids;

    @Option(names = "--label", description = "Revoke every active key with this label k=v.")
    List<String> labels;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AdminClient client = admin.client(err);
      Map<String, String> l = Labels.parse(labels);
      if (client == null || l == null) {
        return Exit.USAGE;
      }
      boolean byId = ids != null && !ids.isEmpty();
      if (byId == !l.isEmpty()) {
        err.println("keybrake: give key ids or --label, one of the two");
        return Exit.USAGE;
      }
      if (!byId) {
        return revokeByLabel(client, l, err);
      }
      List<String> targets = new ArrayList<>(ids);
      int exit = Exit.OK;
      List<JsonNode> results = new ArrayList<>();
      for (String id : targets) {
        AdminClient.Answer a = client.delete("keys/" + AdminClient.encode(id));
        ObjectNode r = AdminClient.JSON.createObjectNode();
        r.put("id", id);
        r.put("result", a.ok() ? "revoked" : a.error());
        results.add(r);
        if (!a.ok() && exit == Exit.OK) {
          exit = a.exitCode();
        }
      }
      ArrayNode array = AdminClient.JSON.createArrayNode();
      results.forEach(array::add);
      ObjectNode out = AdminClient.JSON.createObjectNode();
      out.set("revoked", array);
      admin.print(spec.commandLine().getOut(), out, results, List.of("id", "result"));
      return exit;
    }

    /** One {@code DELETE /keys?label=name:value&…}: the server revokes them all in one batch. */
    private int revokeByLabel(AdminClient client, Map<String, String> l, PrintWriter err)
        throws Exception {
      StringBuilder query = new StringBuilder("keys");
      char sep = '?';
      for (Map.Entry<String, String> e : l.entrySet()) {
        query
            .append(sep)
            .append("label=")
            .append(AdminClient.encode(e.getKey() + ":" + e.getValue()));
        sep = '&';
      }
      AdminClient.Answer a = client.delete(query.toString());
      if (!a.ok()) {
        err.println("keybrake: " + a.error());
        return a.exitCode();
      }
      int count = a.body().path("revoked").asInt();
      ObjectNode row = AdminClient.JSON.createObjectNode();
      row.put("revoked", count);
      row.put(
          "labels",
          String.join(
              ",", l.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
      admin.print(
          spec.commandLine().getOut(), a.body(), List.of(row), List.of("revoked", "labels"));
      if (count == 0) {
        err.println("keybrake: no active key has the labels " + l);
        return Exit.NOT_FOUND;
      }
      return Exit.OK;
    }
  }
}
