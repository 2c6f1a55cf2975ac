package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keybrake audit tail}: the latest audit rows, oldest first, through the admin API. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Print the latest audit rows (oldest first).",
      "--decision and --reason filter the rows fetched (the last --limit of the key or of all keys)."
    },
    footer = AdminOptions.ENV_HELP)
public final class AuditTailCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  @Option(names = "--key", description = "Only this key's rows (key id).")
  String keyId;

  @Option(names = "--since", description = "Only rows at or after this instant (ISO-8601).")
  String since;

  @Option(names = "--limit", defaultValue = "20", description = "Rows to fetch (default 20).")
  int limit;

  @Option(names = "--decision", description = "Only rows with this decision (allowed, blocked, …).")
  String decision;

  @Option(names = "--reason", description = "Only rows with this reason (cap_exhausted, …).")
  String reason;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    AdminClient client = admin.client(err);
    if (client == null) {
      return Exit.USAGE;
    }
    StringBuilder path = new StringBuilder("audit?limit=").append(limit);
    if (keyId != null) {
      path.append("&key_id=").append(AdminClient.encode(keyId));
    }
    if (since != null) {
      path.append("&since=").append(AdminClient.encode(since));
    }
    AdminClient.Answer a = client.get(path.toString());
    if (!a.ok()) {
      err.println("keybrake: " + a.error());
      return a.exitCode();
    }
    List<JsonNode> rows = new ArrayList<>();
    for (JsonNode r : a.body().path("rows")) {
      if ((decision == null || decision.equals(r.path("decision").asText()))
          && (reason == null || reason.equals(r.path("reason").asText()))) {
        rows.add(r);
      }
    }
    Collections.reverse(rows);
    ArrayNode array = AdminClient.JSON.createArrayNode();
    rows.forEach(array::add);
    ObjectNode out = AdminClient.JSON.createObjectNode();
    out.set("rows", array);
    admin.print(
        spec.commandLine().getOut(),
        out,
        rows,
        List.of(
            "seq",
            "at",
            "key_id",
            "key_name",
            "vendor",
            "endpoint",
            "destination",
            "decision",
            "reason",
            "http_status"));
    return Exit.OK;
  }
}
