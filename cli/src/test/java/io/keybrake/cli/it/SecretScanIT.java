package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.Settings;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.ResendSimulator;
import io.keybrake.harness.sim.StripeSimulator;
import io.keybrake.harness.sim.TwilioSimulator;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secrets never leave the vault: one embedded and one fleet instance (Redis, PostgreSQL) are sent
 * many refusal shapes that carry vault keys, the Twilio account SID and the real vendor credentials
 * in paths, headers and bodies. Then every sink is scanned for every one of those secrets: every
 * answer (body and headers), {@code GET /audit}, {@code GET /metrics}, the SQLite files and
 * write-ahead files in the data directories, the PostgreSQL {@code audit} and {@code keys} tables,
 * and every log line written meanwhile (through the same masking rules as {@code logback.xml}).
 */
class SecretScanIT {
  private static final String ADMIN = "secret-scan-admin-key-0123456789";
  private static final String KEK =
      Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
  private static final String UNKNOWN_VAULT_KEY = "vault_key_" + "Zq9".repeat(13) + "Z";
  private static final String LIVE_LOOKING_STRIPE = "sk_live_51AbCdEfGhIjKlMnOpQrStUv";

  @TempDir static Path embeddedDir;
  @TempDir static Path fleetDir;
  static TwilioSimulator twilio;
  static StripeSimulator stripe;
  static ResendSimulator resend;
  static RedisServer redis;
  static String schema;
  static String pgUrl;
  static KeybrakeApp embedded;
  static KeybrakeApp fleet;
  static final ByteArrayOutputStream logs = new ByteArrayOutputStream();
  static OutputStreamAppender<ILoggingEvent> capture;

  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  final ObjectMapper json = new ObjectMapper();

  /** Every answer seen, headers and body. */
  final StringBuilder answers = new StringBuilder();

  /** Every secret used: vault keys (and their random part), real credentials, the admin key. */
  final List<String> secrets = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%level %logger - %msg%n%ex");
    encoder.start();
    capture = new OutputStreamAppender<>();
    capture.setContext(ctx);
    capture.setEncoder(encoder);
    capture.setOutputStream(logs);
    capture.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);

    twilio = new TwilioSimulator(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN).start();
    stripe = new StripeSimulator(Gateway.STRIPE_KEY).start();
    resend = new ResendSimulator(Gateway.RESEND_KEY).start();
    redis = RedisServer.start();
    schema = "kb_scan_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(FleetModeIT.baseUrl());
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    pgUrl =
        FleetModeIT.baseUrl()
            + (FleetModeIT.baseUrl().contains("?") ? "&" : "?")
            + "currentSchema="
            + schema;
    embedded = app(embeddedDir, "embedded", Optional.empty(), Optional.empty());
    fleet = app(fleetDir, "redis", Optional.of(URI.create(redis.uri())), Optional.of(pgUrl));
  }

  private static KeybrakeApp app(
      Path dir, String store, Optional<URI> redisUri, Optional<String> postgres) throws Exception {
    return KeybrakeApp.start(
        new Settings(
            Optional.of(ADMIN),
            dir,
            0,
            0,
            0,
            Map.of(
                "twilio", twilio.baseUri(),
                "stripe", stripe.baseUri(),
                "resend", resend.baseUri()),
            store,
            redisUri,
            postgres,
            Optional.of(KEK)),
        Clock.systemUTC());
  }

  @AfterAll
  static void stop() throws Exception {
    ((LoggerContext) LoggerFactory.getILoggerFactory())
        .getLogger(Logger.ROOT_LOGGER_NAME)
        .detachAppender(capture);
    for (AutoCloseable c : new AutoCloseable[] {embedded, fleet, twilio, stripe, resend, redis}) {
      if (c != null) {
        c.close();
      }
    }
    try (Connection c = DriverManager.getConnection(FleetModeIT.baseUrl());
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }

  @Test
  void noSecretReachesAnAnswerAnAuditRowALogOrAFile() throws Exception {
    secrets.addAll(
        List.of(
            Gateway.TWILIO_SID,
            Gateway.TWILIO_TOKEN,
            Gateway.STRIPE_KEY,
            Gateway.RESEND_KEY,
            ADMIN,
            UNKNOWN_VAULT_KEY.substring(10),
            LIVE_LOOKING_STRIPE));
    int embeddedCalls = drive(embedded);
    int fleetCalls = drive(fleet);
    assertThat(embeddedCalls).isGreaterThan(20);
    // only the passed-through message and its fetch reached Twilio, once per instance
    assertThat(twilio.received()).hasSize(4);
    assertThat(stripe.received()).isEmpty();
    assertThat(resend.received()).isEmpty();

    // every refusal is in the fleet's PostgreSQL audit table (its audit rows drain from a file)
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> count("SELECT count(*) FROM audit WHERE decision = 'blocked'") >= fleetCalls);

    StringBuilder sinks = new StringBuilder();
    for (KeybrakeApp app : new KeybrakeApp[] {embedded, fleet}) {
      HttpResponse<String> audit = admin(app, "GET", "/audit?limit=1000", null);
      assertThat(audit.statusCode()).isEqualTo(200);
      JsonNode rows = json.readTree(audit.body()).get("rows");
      assertThat(rows.size()).isGreaterThanOrEqualTo(embeddedCalls);
      sinks.append("\n[GET /audit]\n").append(audit.body());
      sinks.append("\n[GET /metrics]\n").append(get(app, "/metrics").body());
    }
    assertThat(sinks.toString())
        .as("the masked vault key is what the audit shows of a path that carried one")
        .contains("/Accounts/vault_key_****/");
    for (Path dir : new Path[] {embeddedDir, fleetDir}) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          sinks
              .append("\n[file ")
              .append(f)
              .append("]\n")
              .append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        }
      }
    }
    sinks.append("\n[postgres audit]\n").append(rowsAsText("SELECT a::text FROM audit a"));
    sinks.append("\n[postgres keys]\n").append(rowsAsText("SELECT k::text FROM keys k"));
    capture.stop();
    sinks.append("\n[logs]\n").append(logs.toString(StandardCharsets.UTF_8));
    sinks.append("\n[answers]\n").append(answers);

    String all = sinks.toString();
    for (String secret : secrets) {
      assertThat(all).as("a sink holds a secret").doesNotContain(secret);
    }
  }

  /** Sends every refusal shape to {@code app}; returns how many reached the data plane. */
  private int drive(KeybrakeApp app) throws Exception {
    String tw = createKey(app, "twilio", "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    String st =
        createKey(
            app,
            "stripe",
            "{\"daily_usd_cap\":100,\"allowed_endpoints\":[\"/v1/invoices\",\"/v1/subscriptions\","
                + "\"/v1/billing_portal/sessions\"],\"expires_in\":\"8h\"}");
    String re = createKey(app, "resend", "{\"daily_usd_cap\":5}");
    String gone = createKey(app, "resend", "{\"daily_usd_cap\":5}");
    String goneId = lastKeyId;
    assertThat(admin(app, "DELETE", "/keys/" + goneId, null).statusCode()).isEqualTo(200);

    String acc = "/twilio/2010-04-01/Accounts/";
    String sms = "To=%2B2348031234567&From=%2B15005550006&Body=hi";
    String twAuth = basic(tw, "x");
    List<Call> calls = new ArrayList<>();
    // a Twilio path carrying the vault key, refused before an endpoint matches
    for (String path :
        List.of(
            acc + tw + "/Messages.xml",
            acc + tw + "/Messages.XML",
            acc + tw + "./Messages.json",
            acc + tw + "/Messages.json.",
            acc + tw + "/Usage/Records.json",
            acc + tw + ".json",
            acc + tw,
            acc + "vault%5Fkey%5F" + tw.substring(10) + "/Messages.xml",
            acc + tw + "/Messages.json?To=%2B2348031234567",
            acc + tw + "/Calls/%2e%2e/Messages.json",
            acc + tw + "/Messages.json#frag")) {
      calls.add(new Call("POST", path, twAuth, "application/x-www-form-urlencoded", sms));
    }
    for (String method : List.of("PUT", "PATCH", "DELETE")) {
      calls.add(new Call(method, acc + tw + "/Messages.json", twAuth, null, null));
    }
    // refused after the endpoint matched: destination, headers that quote credentials
    calls.add(
        new Call(
            "POST", acc + tw + "/Messages.json", twAuth, "application/x-www-form-urlencoded", sms));
    calls.add(
        new Call(
            "POST",
            acc + tw + "/Calls.json",
            twAuth,
            "application/x-www-form-urlencoded",
            "To=%2B19005550123&From=%2B15005550006&Url=https%3A%2F%2Fx.example%2F" + tw));
    calls.add(
        new Call(
            "POST",
            acc + tw + "/Messages.json",
            twAuth,
            "text/plain; key=" + Gateway.STRIPE_KEY,
            sms));
    calls.add(
        new Call(
            "POST",
            acc + tw + "/Messages.json",
            twAuth,
            "application/x-www-form-urlencoded",
            sms,
            "Content-Encoding",
            "x-" + tw));
    // unknown, foreign and real credentials presented as the vault key
    calls.add(
        new Call(
            "POST",
            acc + UNKNOWN_VAULT_KEY + "/Messages.xml",
            basic(UNKNOWN_VAULT_KEY, "x"),
            "application/x-www-form-urlencoded",
            sms));
    calls.add(
        new Call(
            "POST",
            acc + Gateway.TWILIO_SID + "/Messages.json",
            basic(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN),
            "application/x-www-form-urlencoded",
            sms));
    calls.add(new Call("GET", "/stripe/v1/customers", "Bearer " + Gateway.STRIPE_KEY, null, null));
    calls.add(new Call("GET", "/v1/customers", "Bearer " + LIVE_LOOKING_STRIPE, null, null));
    calls.add(new Call("GET", "/resend/emails/x", "Bearer " + Gateway.RESEND_KEY, null, null));
    calls.add(new Call("GET", "/resend/emails/x", "Bearer " + gone, null, null));
    // a documented Stripe key outside its scope, with secrets in the path
    calls.add(
        new Call(
            "POST",
            "/stripe/v1/refunds",
            "Bearer " + st,
            "application/x-www-form-urlencoded",
            "charge=ch_1&amount=100"));
    calls.add(new Call("GET", "/v1/customers/" + Gateway.STRIPE_KEY, "Bearer " + st, null, null));
    calls.add(new Call("GET", "/v1/customers/" + st, "Bearer " + st, null, null));
    calls.add(
        new Call("GET", "/stripe/v1/accounts/" + LIVE_LOOKING_STRIPE, basic(st, ""), null, null));
    calls.add(new Call("DELETE", "/resend/emails/" + re, "Bearer " + re, null, null));
    calls.add(
        new Call(
            "POST",
            "/resend/domains/" + Gateway.RESEND_KEY,
            "Bearer " + re,
            "application/json",
            "{}"));
    calls.add(
        new Call(
            "POST",
            "/resend/emails",
            "Bearer " + re,
            "application/json",
            "{\"from\":\"a@example.com\",\"to\":\"" + re + "\",\"subject\":\"s\",\"html\":\"h\"}"));

    for (Call c : calls) {
      HttpResponse<String> r = send(app, c);
      assertThat(r.statusCode())
          .as(c.method() + " " + c.path() + " " + r.body())
          .isBetween(400, 499);
    }
    // admin requests that quote secrets are answered by the admin API, never audited as calls
    for (String path :
        List.of("/keys/" + tw, "/v1/customers/" + Gateway.STRIPE_KEY, "/audit/" + re)) {
      HttpResponse<String> r = admin(app, "GET", path, null);
      record(r);
      assertThat(r.statusCode()).isEqualTo(404);
    }
    // vendor answers passed through: a message sent, fetched by the uri its answer gives, and
    // replayed; the answers carry the key's id where Twilio wrote the real Account SID
    String us = "To=%2B14155552671&From=%2B15005550006&Body=passed-through";
    HttpResponse<String> sent =
        send(
            app,
            new Call(
                "POST",
                acc + tw + "/Messages.json",
                twAuth,
                "application/x-www-form-urlencoded",
                us));
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(201);
    String uri = json.readTree(sent.body()).get("uri").asText();
    HttpResponse<String> fetched = send(app, new Call("GET", "/twilio" + uri, twAuth, null, null));
    assertThat(fetched.statusCode()).as(fetched.body()).isEqualTo(200);
    HttpResponse<String> replayed =
        send(
            app,
            new Call(
                "POST",
                acc + tw + "/Messages.json",
                twAuth,
                "application/x-www-form-urlencoded",
                us));
    assertThat(replayed.headers().firstValue("x-keybrake-dedup")).hasValue("replay");
    return calls.size();
  }

  private String lastKeyId;

  private String createKey(KeybrakeApp app, String vendor, String policy) throws Exception {
    String credential =
        switch (vendor) {
          case "twilio" ->
              "\"twilio_account_sid\":\""
                  + Gateway.TWILIO_SID
                  + "\",\"twilio_auth_token\":\""
                  + Gateway.TWILIO_TOKEN
                  + "\"";
          case "stripe" -> "\"stripe_secret_key\":\"" + Gateway.STRIPE_KEY + "\"";
          default -> "\"resend_api_key\":\"" + Gateway.RESEND_KEY + "\"";
        };
    HttpResponse<String> r =
        admin(
            app,
            "POST",
            "/keys",
            "{\"name\":\"scan-"
                + vendor
                + "\",\"vendor\":\""
                + vendor
                + "\","
                + credential
                + ",\"policy\":"
                + policy
                + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode created = json.readTree(r.body());
    String vaultKey = created.get("vault_key").asText();
    lastKeyId = created.get("id").asText();
    secrets.add(vaultKey.substring(10));
    return vaultKey;
  }

  private record Call(
      String method, String path, String auth, String type, String body, String... extra) {}

  private HttpResponse<String> send(KeybrakeApp app, Call c) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + c.path()))
            .timeout(Duration.ofSeconds(20))
            .method(
                c.method(),
                c.body() == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(c.body()));
    if (c.auth() != null) {
      b.header("Authorization", c.auth());
    }
    if (c.type() != null) {
      b.header("Content-Type", c.type());
    }
    for (int i = 0; i < c.extra().length; i += 2) {
      b.header(c.extra()[i], c.extra()[i + 1]);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    record(r);
    return r;
  }

  private void record(HttpResponse<String> r) {
    answers.append(r.statusCode()).append(' ').append(r.headers().map()).append('\n');
    answers.append(r.body()).append('\n');
  }

  private HttpResponse<String> admin(KeybrakeApp app, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
            .header("X-Admin-Key", ADMIN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(KeybrakeApp app, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user, String password) {
    return Gateway.basic(user, password);
  }

  private static long count(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String rowsAsText(String sql) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.append(rs.getString(1)).append('\n');
      }
    }
    return out.toString();
  }
}
