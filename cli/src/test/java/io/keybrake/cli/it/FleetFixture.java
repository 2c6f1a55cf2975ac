package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.cli.settings.Settings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Fleet-mode instances for tests: a PostgreSQL schema of their own (dropped by {@link #close()}),
 * settings for an all-in-one instance on a given Redis, and the admin and gateway calls the tests
 * make. Not thread-safe apart from the HTTP calls.
 */
final class FleetFixture implements AutoCloseable {
  static final String ADMIN = "fleet-admin-key-0123456789";
  static final String KEK =
      Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

  final String schema =
      "kb_fleet_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  final String pgUrl;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  FleetFixture() throws Exception {
    try (Connection c = DriverManager.getConnection(baseUrl());
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    pgUrl = baseUrl() + (baseUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  /** {@code KEYBRAKE_TEST_POSTGRES_URL}, or the local server's {@code test} database. */
  static String baseUrl() {
    return io.keybrake.store.postgres.TestPostgres.baseUrl();
  }

  Settings settings(Path dir, String redisUri, Map<String, URI> upstreams, FleetTuning tuning) {
    return new Settings(
        Optional.of(ADMIN),
        dir,
        0,
        0,
        0,
        upstreams,
        "redis",
        Optional.of(URI.create(redisUri)),
        Optional.of(pgUrl),
        Optional.of(KEK),
        tuning);
  }

  KeybrakeApp start(Path dir, String redisUri, Map<String, URI> upstreams, FleetTuning tuning)
      throws Exception {
    return start(dir, redisUri, upstreams, tuning, Clock.systemUTC());
  }

  KeybrakeApp start(
      Path dir, String redisUri, Map<String, URI> upstreams, FleetTuning tuning, Clock clock)
      throws Exception {
    return KeybrakeApp.start(settings(dir, redisUri, upstreams, tuning), clock);
  }

  HttpResponse<String> get(KeybrakeApp app, String path) throws Exception {
    return admin(app, "GET", path, null);
  }

  HttpResponse<String> admin(KeybrakeApp app, String method, String path, String body)
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

  /** A Twilio key with {@code policy}; returns the created key (with its vault key). */
  JsonNode twilioKey(KeybrakeApp app, String policy) throws Exception {
    HttpResponse<String> r =
        admin(
            app,
            "POST",
            "/keys",
            "{\"name\":\"fleet\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
                + Gateway.TWILIO_SID
                + "\",\"twilio_auth_token\":\""
                + Gateway.TWILIO_TOKEN
                + "\",\"policy\":"
                + policy
                + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json.readTree(r.body());
  }

  /** One SMS to a US number through {@code app}'s local gateway. */
  HttpResponse<String> sms(KeybrakeApp app, String vault, String body) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + app.httpPort()
                        + "/twilio/2010-04-01/Accounts/"
                        + vault
                        + "/Messages.json"))
            .header("Authorization", Gateway.basic(vault, "x"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    Gateway.form(Gateway.sms(Gateway.US_NUMBER, body))))
            .build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    try (Connection c = DriverManager.getConnection(baseUrl());
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }
}
