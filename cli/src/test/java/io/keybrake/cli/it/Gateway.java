package io.keybrake.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.harness.sim.ResendSimulator;
import io.keybrake.harness.sim.StripeSimulator;
import io.keybrake.harness.sim.TwilioSimulator;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A running Keybrake (embedded store, local gateway) in front of the three vendor simulators, with
 * helpers to create keys and send vendor calls the way an agent would. One per test class.
 */
final class Gateway implements AutoCloseable {
  static final String ADMIN_KEY = "test-admin-key-0123456789";
  static final String TWILIO_SID = "AC" + "0123456789abcdef0123456789abcdef";
  static final String TWILIO_TOKEN = "twilio-auth-token-secret-42";
  static final String STRIPE_KEY = "sk_test_keybrake_simulated_0001";
  static final String RESEND_KEY = "re_keybrake_simulated_0001";
  static final String US_NUMBER = "+14155552671";
  static final String NG_NUMBER = "+2348031234567";

  final ObjectMapper json = new ObjectMapper();
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  final MutableClock clock;
  final Path dataDir;
  final TwilioSimulator twilio;
  final StripeSimulator stripe;
  final ResendSimulator resend;
  final OpsSettings ops;
  KeybrakeApp app;

  Gateway(Path dataDir) throws Exception {
    this(dataDir, new MutableClock(Instant.parse("2026-11-22T12:00:00Z")));
  }

  Gateway(Path dataDir, MutableClock clock) throws Exception {
    this(dataDir, clock, java.time.Duration.ZERO);
  }

  /** With a Twilio simulator that prices a message {@code pricingDelay} after creation. */
  Gateway(Path dataDir, MutableClock clock, java.time.Duration pricingDelay) throws Exception {
    this(dataDir, clock, pricingDelay, OpsSettings.DEFAULTS);
  }

  /** With operations settings (metric key labels, webhooks). */
  Gateway(Path dataDir, MutableClock clock, java.time.Duration pricingDelay, OpsSettings ops)
      throws Exception {
    this.ops = ops;
    this.dataDir = dataDir;
    this.clock = clock;
    twilio = new TwilioSimulator(TWILIO_SID, TWILIO_TOKEN, clock, pricingDelay);
    twilio.start();
    stripe = new StripeSimulator(STRIPE_KEY);
    stripe.start();
    resend = new ResendSimulator(RESEND_KEY);
    resend.start();
    start();
  }

  void start() throws Exception {
    Settings settings =
        new Settings(
            Optional.of(ADMIN_KEY),
            dataDir,
            0,
            0,
            0,
            Map.of(
                "twilio", twilio.baseUri(),
                "stripe", stripe.baseUri(),
                "resend", resend.baseUri()),
            "embedded",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    app = KeybrakeApp.start(settings, ops, clock, io.keybrake.cli.app.Role.all());
  }

  void restart() throws Exception {
    app.close();
    start();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + app.httpPort() + path);
  }

  /** A created key: its id and the vault key secret shown once. */
  record Key(String id, String vaultKey, JsonNode body) {}

  Key createTwilioKey(String policyJson) throws Exception {
    return createKey(
        "{\"name\":\"support-bot-prod\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
            + TWILIO_SID
            + "\",\"twilio_auth_token\":\""
            + TWILIO_TOKEN
            + "\",\"labels\":{\"team\":\"support\"},\"policy\":"
            + policyJson
            + "}");
  }

  Key createStripeKey(String policyJson) throws Exception {
    return createKey(
        "{\"name\":\"billing-agent\",\"vendor\":\"stripe\",\"stripe_secret_key\":\""
            + STRIPE_KEY
            + "\",\"policy\":"
            + policyJson
            + "}");
  }

  Key createResendKey(String policyJson) throws Exception {
    return createKey(
        "{\"name\":\"mailer\",\"vendor\":\"resend\",\"resend_api_key\":\""
            + RESEND_KEY
            + "\",\"policy\":"
            + policyJson
            + "}");
  }

  Key createKey(String body) throws Exception {
    HttpResponse<String> r = admin("POST", "/keys", body);
    if (r.statusCode() != 201) {
      throw new AssertionError("POST /keys answered " + r.statusCode() + ": " + r.body());
    }
    JsonNode node = json.readTree(r.body());
    return new Key(node.get("id").asText(), node.get("vault_key").asText(), node);
  }

  HttpResponse<String> admin(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("X-Admin-Key", ADMIN_KEY)
            .timeout(Duration.ofSeconds(10));
    if (body != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode spend(String keyId) throws Exception {
    HttpResponse<String> r = admin("GET", "/keys/" + keyId + "/spend", null);
    if (r.statusCode() != 200) {
      throw new AssertionError("spend answered " + r.statusCode() + ": " + r.body());
    }
    return json.readTree(r.body());
  }

  /** The key's decision rows, newest first (its admin rows, such as its creation, left out). */
  JsonNode audit(String keyId) throws Exception {
    HttpResponse<String> r = admin("GET", "/audit?key_id=" + keyId + "&limit=1000", null);
    if (r.statusCode() != 200) {
      throw new AssertionError("audit answered " + r.statusCode() + ": " + r.body());
    }
    com.fasterxml.jackson.databind.node.ArrayNode decisions = json.createArrayNode();
    for (JsonNode row : json.readTree(r.body()).get("rows")) {
      if (!row.get("decision").asText().equals("admin")) {
        decisions.add(row);
      }
    }
    return decisions;
  }

  static String form(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(
            e ->
                URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  static Map<String, String> sms(String to, String body) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("To", to);
    m.put("From", "+15005550006");
    m.put("Body", body);
    return m;
  }

  /** Sends a Twilio message the way twilio-java does: vault key as Basic user and path SID. */
  HttpResponse<String> sendSms(String vaultKey, String to, String body) throws Exception {
    return postForm(
        "/twilio/2010-04-01/Accounts/" + vaultKey + "/Messages.json",
        basic(vaultKey, "unused"),
        form(sms(to, body)));
  }

  HttpResponse<String> postForm(String path, String authorization, String formBody)
      throws Exception {
    return send(
        path,
        authorization,
        "application/x-www-form-urlencoded",
        formBody.getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<String> send(String path, String authorization, String contentType, byte[] body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).GET();
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  static String bearer(String token) {
    return "Bearer " + token;
  }

  JsonNode body(HttpResponse<String> r) throws Exception {
    return json.readTree(r.body());
  }

  ObjectNode object() {
    return json.createObjectNode();
  }

  @Override
  public void close() throws Exception {
    try {
      if (app != null) {
        app.close();
      }
    } finally {
      twilio.close();
      stripe.close();
      resend.close();
    }
  }
}
