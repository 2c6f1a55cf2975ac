package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URI;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options every admin command shares: where the admin API is and how to print. The admin key is
 * read from {@code KEYBRAKE_ADMIN_KEY} only, so it never shows in a process list or shell history.
 */
public final class AdminOptions {
  /** The environment lines of every admin command's {@code --help}. */
  public static final String ENV_HELP =
      "%nEnvironment:%n"
          + "  KEYBRAKE_URL        admin API base URL (default http://localhost:8080)%n"
          + "  KEYBRAKE_ADMIN_KEY  the admin key (X-Admin-Key); required%n"
          + "%nExit codes: 0 done, 1 refused or failed, 2 bad usage, 3 unreachable, 4 not found%n";

  @Option(
      names = "--url",
      description = "Admin API base URL (overrides KEYBRAKE_URL; default http://localhost:8080).")
  String url;

  @Option(
      names = {"-o", "--output"},
      description = "table (default) or json.",
      defaultValue = "table")
  String output;

  boolean json() {
    return output.equalsIgnoreCase("json");
  }

  /** The client, or null after printing why it cannot be built. */
  AdminClient client(PrintWriter err) {
    if (!output.equalsIgnoreCase("json") && !output.equalsIgnoreCase("table")) {
      err.println("keybrake: --output must be table or json, not '" + output + "'");
      return null;
    }
    String key = CliEnvironment.get("KEYBRAKE_ADMIN_KEY", null);
    if (key == null) {
      err.println("keybrake: set KEYBRAKE_ADMIN_KEY to the admin key");
      return null;
    }
    String base = url != null ? url : CliEnvironment.get("KEYBRAKE_URL", "http://localhost:8080");
    try {
      URI u = URI.create(base.endsWith("/") ? base : base + "/");
      if (u.getScheme() == null || u.getHost() == null) {
        throw new IllegalArgumentException("no scheme or host");
      }
      return new AdminClient(u, key);
    } catch (IllegalArgumentException e) {
      err.println("keybrake: not a URL: " + base);
      return null;
    }
  }

  /** Prints {@code node} as JSON, or its rows as a table of {@code columns}. */
  void print(PrintWriter out, JsonNode node, List<JsonNode> rows, List<String> columns) {
    if (json()) {
      out.println(node.toPrettyString());
    } else {
      Table.print(out, rows, columns);
    }
    out.flush();
  }
}
