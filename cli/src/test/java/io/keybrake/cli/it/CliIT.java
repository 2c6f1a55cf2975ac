package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.keybrake.cli.Main;
import io.keybrake.cli.admin.Cli;
import io.keybrake.cli.prices.PriceFiles;
import io.keybrake.cli.prices.PriceSync;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin verbs of the {@code keybrake} command against a running instance (and PostgreSQL, and a
 * Twilio Pricing API simulator), with their output and exit codes.
 */
class CliIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  @TempDir static Path dir;
  static Gateway gw;

  /** What one run printed and returned. */
  record Run(int exit, String out, String err) {
    JsonNode json() throws Exception {
      return JSON.readTree(out);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    gw = new Gateway(dir.resolve("gw"));
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("KEYBRAKE_URL", "http://127.0.0.1:" + gw.app.httpPort());
    env.put("KEYBRAKE_ADMIN_KEY", Gateway.ADMIN_KEY);
    env.put("TWILIO_ACCOUNT_SID", Gateway.TWILIO_SID);
    env.put("TWILIO_AUTH_TOKEN", Gateway.TWILIO_TOKEN);
    return env;
  }

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Cli.run(new Main(), args, env, new PrintWriter(out), new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }

  Run run(String... args) {
    return run(env(), args);
  }

  String createKey(String name, String... labels) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "keys",
                "create",
                "--name",
                name,
                "--vendor",
                "twilio",
                "--output",
                "json",
                "--policy",
                "{\"daily_usd_cap\":5}"));
    for (String l : labels) {
      args.add("--label");
      args.add(l);
    }
    Run r = run(args.toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().get("vault_key").asText()).startsWith("vault_key_");
    return r.json().get("id").asText();
  }

  @Test
  void keysCreateListGetAndRevokeByIdAndByLabel() throws Exception {
    String run = "r" + UUID.randomUUID().toString().substring(0, 8);
    String a = createKey("agent-a", "run=" + run, "team=support");
    String b = createKey("agent-b", "run=" + run);
    String c = createKey("agent-c", "team=support");

    Run table = run("keys", "list", "--label", "run=" + run);
    assertThat(table.exit()).isZero();
    assertThat(table.out()).startsWith("ID").contains(a).contains(b).doesNotContain(c);
    assertThat(table.out()).doesNotContain("vault_key_").doesNotContain(Gateway.TWILIO_TOKEN);
    Run json = run("keys", "list", "--label", "run=" + run, "-o", "json");
    assertThat(json.json().get("keys")).hasSize(2);

    Run got = run("keys", "get", c, "-o", "json");
    assertThat(got.exit()).isZero();
    assertThat(got.json().get("name").asText()).isEqualTo("agent-c");
    assertThat(
            got.json().at("/spend/cap_usd").isMissingNode()
                && got.json().at("/spend/budgets").isMissingNode())
        .isFalse();
    assertThat(run("keys", "get", "key_doesnotexist0000000").exit()).isEqualTo(4);

    Run revoked = run("keys", "revoke", "--label", "run=" + run, "-o", "json");
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    assertThat(revoked.json().get("revoked").asInt()).isEqualTo(2); // one DELETE /keys?label=
    assertThat(run("keys", "get", a, "-o", "json").json().get("status").asText())
        .isEqualTo("revoked");
    assertThat(run("keys", "get", c, "-o", "json").json().get("status").asText())
        .isEqualTo("active");
    Run again = run("keys", "revoke", "--label", "run=" + run);
    assertThat(again.exit()).isEqualTo(4);
    assertThat(again.err()).contains("no active key");

    assertThat(run("keys", "revoke", c).exit()).isZero();
    assertThat(run("keys", "get", c, "-o", "json").json().get("status").asText())
        .isEqualTo("revoked");
    assertThat(run("keys", "revoke").exit()).isEqualTo(2);
  }

  @Test
  void exitCodesTellScriptsWhatWentWrong() throws Exception {
    Map<String, String> noKey = env();
    noKey.remove("KEYBRAKE_ADMIN_KEY");
    assertThat(run(noKey, "keys", "list").exit()).isEqualTo(2);
    Map<String, String> wrongKey = env();
    wrongKey.put("KEYBRAKE_ADMIN_KEY", "not-the-admin-key-at-all");
    Run refused = run(wrongKey, "keys", "list");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("unauthorized");
    Map<String, String> nowhere = env();
    nowhere.put("KEYBRAKE_URL", "http://127.0.0.1:" + closedPort());
    Run unreachable = run(nowhere, "keys", "list");
    assertThat(unreachable.exit()).isEqualTo(3);
    assertThat(unreachable.err()).contains("cannot reach the admin API");
    Map<String, String> noCredential = env();
    noCredential.remove("TWILIO_AUTH_TOKEN");
    Run missing = run(noCredential, "keys", "create", "--name", "x", "--vendor", "twilio");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err())
        .contains("keybrake: set TWILIO_AUTH_TOKEN (the real vendor credential)");
    Run unknown = run("keys", "create", "--name", "x", "--vendor", "mailgun");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("--vendor must be one of twilio, stripe, resend")
        .contains("KEYBRAKE_VENDOR_DIR");
    assertThat(run("keys", "list", "--output", "yaml").exit()).isEqualTo(2);
    assertThat(run("keys", "frobnicate").exit()).isEqualTo(2);
  }

  @Test
  void helpListsTheEnvironmentEachCommandReads() {
    assertThat(run("keys", "create", "--help").out())
        .contains(
            "KEYBRAKE_URL",
            "KEYBRAKE_ADMIN_KEY",
            "TWILIO_AUTH_TOKEN",
            "STRIPE_SECRET_KEY",
            "RESEND_API_KEY",
            "SENDGRID_API_KEY",
            "KEYBRAKE_VENDOR_DIR");
    assertThat(run("keys", "revoke", "--help").out()).contains("KEYBRAKE_ADMIN_KEY", "--label");
    assertThat(run("budgets", "list", "--help").out()).contains("KEYBRAKE_ADMIN_KEY");
    assertThat(run("audit", "tail", "--help").out()).contains("KEYBRAKE_URL");
    assertThat(run("spend", "--help").out()).contains("KEYBRAKE_POSTGRES_URL");
    assertThat(run("prices", "sync", "--help").out())
        .contains("TWILIO_ACCOUNT_SID", "KEYBRAKE_TWILIO_PRICING_URL", "KEYBRAKE_DATA_DIR");
  }

  @Test
  void budgetsCreateAndList() throws Exception {
    String name = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
    Run created =
        run("budgets", "create", "--name", name, "--label", "team=growth", "--daily-usd", "25");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(
            run("budgets", "create", "--name", name, "--vendor", "twilio", "--daily-usd", "1")
                .exit())
        .isEqualTo(1);
    Run listed = run("budgets", "list");
    assertThat(listed.exit()).isZero();
    assertThat(listed.out()).contains(name).contains("25");
    JsonNode json = run("budgets", "list", "-o", "json").json();
    assertThat(json.get("budgets").findValuesAsText("name")).contains(name);
  }

  @Test
  void auditTailPrintsTheLatestRowsOfAKey() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "one").statusCode()).isEqualTo(201);
    assertThat(gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "two").statusCode()).isEqualTo(403);
    Run tail = run("audit", "tail", "--key", key.id(), "-o", "json");
    assertThat(tail.exit()).as(tail.err()).isZero();
    // the key's whole life: its creation (an admin row), the forwarded call, the refusal
    assertThat(tail.json().get("rows").findValuesAsText("decision"))
        .containsExactly("admin", "allowed", "blocked");
    Run refused = run("audit", "tail", "--key", key.id(), "--reason", "destination_not_allowed");
    List<String> lines = refused.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("SEQ");
    assertThat(lines.get(1)).contains(key.id(), "blocked", "destination_not_allowed", "403");
  }

  @Test
  void pricesSyncReadsTwilioPricingApiAndShowTellsTheAge() throws Exception {
    HttpServer twilio = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(
                    (Gateway.TWILIO_SID + ":" + Gateway.TWILIO_TOKEN)
                        .getBytes(StandardCharsets.UTF_8));
    twilio.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          String body;
          int status = 200;
          if (!basic.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            status = 401;
            body = "{\"code\":20003,\"message\":\"Authenticate\"}";
          } else if (path.equals("/v1/Messaging/Countries/US")) {
            body =
                "{\"iso_country\":\"US\",\"price_unit\":\"USD\",\"outbound_sms_prices\":["
                    + "{\"carrier\":\"a\",\"prices\":[{\"number_type\":\"local\",\"base_price\":\"0.0079\","
                    + "\"current_price\":\"0.0079\"},{\"number_type\":\"toll free\","
                    + "\"base_price\":\"0.0091\",\"current_price\":\"0.00905\"}]}]}";
          } else if (path.equals("/v2/Voice/Countries/US")) {
            body =
                "{\"iso_country\":\"US\",\"price_unit\":\"USD\",\"outbound_prefix_prices\":["
                    + "{\"prefixes\":[\"1\"],\"base_price\":\"0.013\",\"current_price\":\"0.013\"}]}";
          } else {
            status = 404;
            body = "{\"code\":20404}";
          }
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status, bytes.length);
          ex.getResponseBody().write(bytes);
          ex.close();
        });
    twilio.start();
    Clock before = PriceSync.clock;
    PriceSync.clock = Clock.fixed(NOW, ZoneOffset.UTC);
    try {
      Path data = dir.resolve("prices-data");
      Map<String, String> env = env();
      env.put("KEYBRAKE_DATA_DIR", data.toString());
      env.put("KEYBRAKE_TWILIO_PRICING_URL", "http://127.0.0.1:" + twilio.getAddress().getPort());

      Run shipped = run(env, "prices", "show");
      assertThat(shipped.exit()).isZero();
      assertThat(shipped.out()).contains("shipped with keybrake");

      Run sync = run(env, "prices", "sync");
      assertThat(sync.exit()).as(sync.err()).isZero();
      PriceTable synced = PriceFiles.load(data);
      assertThat(synced.asOf()).isEqualTo(NOW.atZone(ZoneOffset.UTC).toLocalDate());
      assertThat(synced.smsSegmentMicros("US")).isEqualTo(9_100); // 0.00905 rounded up
      assertThat(synced.voicePerMinuteMicros("US")).isEqualTo(13_000);
      // countries the API does not know keep their previous rates
      assertThat(synced.smsSegmentMicros("GB"))
          .isEqualTo(PriceTable.loadDefault().smsSegmentMicros("GB"));

      Run show = run(env, "prices", "show", "--country", "US");
      assertThat(show.exit()).isZero();
      assertThat(show.out()).contains("as_of     2026-11-22 (0 days old)").contains("sms 0.0091");

      Map<String, String> badToken = new HashMap<>(env);
      badToken.put("TWILIO_AUTH_TOKEN", "wrong-token");
      assertThat(run(badToken, "prices", "sync").exit()).isEqualTo(1);
      Map<String, String> noToken = new HashMap<>(env);
      noToken.remove("TWILIO_AUTH_TOKEN");
      assertThat(run(noToken, "prices", "sync").exit()).isEqualTo(2);
      Map<String, String> down = new HashMap<>(env);
      down.put("KEYBRAKE_TWILIO_PRICING_URL", "http://127.0.0.1:" + closedPort());
      assertThat(run(down, "prices", "sync").exit()).isEqualTo(3);
      assertThat(PriceFiles.load(data).smsSegmentMicros("US")).isEqualTo(9_100);
    } finally {
      PriceSync.clock = before;
      twilio.stop(0);
    }
  }

  @Test
  void spendRunsTheReportingQueriesAgainstPostgres() throws Exception {
    String base = io.keybrake.store.postgres.TestPostgres.baseUrl();
    String schema = "cli_spend_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(base)) {
      c.createStatement().execute("CREATE SCHEMA " + schema);
    }
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    try (PostgresDatabase db = PostgresDatabase.open(url)) {
      PostgresAuditLog audit = new PostgresAuditLog(db, Clock.fixed(NOW, ZoneOffset.UTC));
      audit.append(row("key_a", "growth", "twilio", NOW.minusSeconds(3600), 250_000));
      audit.append(row("key_a", "growth", "twilio", NOW.minusSeconds(1800), 50_000));
      audit.append(row("key_b", "support", "stripe", NOW.minusSeconds(600), 1_000_000));
    }
    Map<String, String> env = env();
    env.put("KEYBRAKE_POSTGRES_URL", url);
    try {
      Run byKey = run(env, "spend", "--by", "key", "-o", "json");
      assertThat(byKey.exit()).as(byKey.err()).isZero();
      JsonNode rows = byKey.json().get("rows");
      assertThat(rows.get(0).get("key_id").asText()).isEqualTo("key_b");
      assertThat(rows.get(1).get("spend_usd").decimalValue()).isEqualByComparingTo("0.30");

      Run byLabel =
          run(
              env,
              "spend",
              "--by",
              "label",
              "--label",
              "team",
              "--day",
              "2026-11-22",
              "-o",
              "json");
      assertThat(byLabel.exit()).as(byLabel.err()).isZero();
      assertThat(byLabel.json().get("rows").findValuesAsText("label_value"))
          .containsExactly("support", "growth");

      Run month =
          run(env, "spend", "--by", "month", "--as-of", "2026-11-22T12:00:00Z", "-o", "json");
      assertThat(month.exit()).as(month.err()).isZero();
      JsonNode all = month.json().get("rows").get(month.json().get("rows").size() - 1);
      assertThat(all.get("vendor").asText()).isEqualTo("(all)");
      assertThat(all.get("month_to_date_micros").asLong()).isEqualTo(1_300_000);

      Run table = run(env, "spend", "--by", "vendor", "--from", "2026-11-21", "--to", "2026-11-23");
      assertThat(table.exit()).isZero();
      assertThat(table.out()).startsWith("DAY").contains("twilio").contains("stripe");

      Map<String, String> down = new HashMap<>(env);
      down.put("KEYBRAKE_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:" + closedPort() + "/test");
      assertThat(run(down, "spend").exit()).isEqualTo(3);
      env.remove("KEYBRAKE_POSTGRES_URL");
      assertThat(run(env, "spend").exit()).isEqualTo(2);
    } finally {
      try (Connection c = DriverManager.getConnection(base)) {
        c.createStatement().execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }

  static AuditEntry row(String key, String team, String vendor, Instant at, long micros) {
    return new AuditEntry(
        at,
        key,
        key + "-name",
        Map.of("team", team),
        vendor,
        "POST",
        "/x",
        null,
        10,
        micros,
        micros,
        null,
        "allowed",
        null,
        200,
        micros,
        1000,
        "settled",
        "rsv_" + UUID.randomUUID());
  }

  static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
