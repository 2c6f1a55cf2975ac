package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.Settings;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.TwilioSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many keys in fleet mode: three all-in-one instances on one Redis and one PostgreSQL schema.
 * Revoking by label stops every matching key everywhere within a second; paging stays stable while
 * keys are created; a retried idempotent creation returns the same key on any instance.
 */
class FleetKeyScaleIT {
  private static final String ADMIN = "fleet-admin-key-0123456789";
  private static final String KEK =
      Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

  @TempDir Path dir;
  RedisServer redis;
  TwilioSimulator twilio;
  String schema;
  String pgUrl;
  final List<KeybrakeApp> apps = new ArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  static String baseUrl() {
    return io.keybrake.store.postgres.TestPostgres.baseUrl();
  }

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    twilio = new TwilioSimulator(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN);
    twilio.start();
    schema = "kb_scale_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(baseUrl());
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    pgUrl = baseUrl() + (baseUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema;
    for (int i = 0; i < 3; i++) {
      apps.add(startInstance(i));
    }
  }

  /**
   * Starts instance {@code i}; a start whose first Redis connection timed out (the fleet's 100 ms
   * connect timeout, on a loaded test machine) is tried again, up to five times.
   */
  private KeybrakeApp startInstance(int i) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return KeybrakeApp.start(
            new Settings(
                Optional.of(ADMIN),
                dir.resolve("instance-" + i),
                0,
                0,
                0,
                Map.of("twilio", twilio.baseUri()),
                "redis",
                Optional.of(URI.create(redis.uri())),
                Optional.of(pgUrl),
                Optional.of(KEK)),
            Clock.systemUTC());
      } catch (io.keybrake.core.store.StoreUnavailableException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (KeybrakeApp app : apps) {
      app.close();
    }
    twilio.close();
    redis.close();
    try (Connection c = DriverManager.getConnection(baseUrl());
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
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

  private static String keyBody(String labelsJson, String extra) {
    return "{\"name\":\"run\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
        + Gateway.TWILIO_SID
        + "\",\"twilio_auth_token\":\""
        + Gateway.TWILIO_TOKEN
        + "\",\"labels\":"
        + labelsJson
        + ",\"policy\":{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}"
        + extra
        + "}";
  }

  private JsonNode createKey(KeybrakeApp app, String labelsJson) throws Exception {
    HttpResponse<String> r = admin(app, "POST", "/keys", keyBody(labelsJson, ""));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json.readTree(r.body());
  }

  private int sms(KeybrakeApp app, String vault, String body) throws Exception {
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
    return http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void revokingByLabelRefusesEveryMatchingKeyOnEveryInstanceWithinASecond() throws Exception {
    List<String> support = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      support.add(createKey(apps.get(i % 3), "{\"team\":\"support\"}").get("vault_key").asText());
    }
    String growth = createKey(apps.get(0), "{\"team\":\"growth\"}").get("vault_key").asText();
    int n = 0;
    for (String vault : support) {
      for (KeybrakeApp app : apps) {
        assertThat(sms(app, vault, "warm " + n++))
            .as("every instance caches the key")
            .isEqualTo(201);
      }
    }

    HttpResponse<String> r = admin(apps.get(1), "DELETE", "/keys?label=team:support", null);
    long start = System.nanoTime();
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("revoked").asInt()).isEqualTo(12);

    Set<String> pending = new HashSet<>();
    for (String vault : support) {
      for (int i = 0; i < apps.size(); i++) {
        pending.add(i + "|" + vault);
      }
    }
    while (!pending.isEmpty()) {
      assertThat(System.nanoTime() - start)
          .as("still served after 1 s: %s", pending)
          .isLessThan(Duration.ofSeconds(1).toNanos());
      for (String p : List.copyOf(pending)) {
        int i = Integer.parseInt(p.substring(0, p.indexOf('|')));
        if (sms(apps.get(i), p.substring(p.indexOf('|') + 1), "after " + n++) == 401) {
          pending.remove(p);
        }
      }
    }
    System.out.printf(
        "bulk revocation of 12 keys refused on 3 instances after %.1f ms%n",
        (System.nanoTime() - start) / 1e6);
    assertThat(sms(apps.get(2), growth, "unrelated")).isEqualTo(201);
    assertThat(admin(apps.get(0), "DELETE", "/keys?label=team:support", null).body())
        .contains("\"revoked\":0");
    assertThat(admin(apps.get(0), "DELETE", "/keys", null).statusCode()).isEqualTo(400);
  }

  @Test
  void pagesStayStableWhileKeysAreCreated() throws Exception {
    Set<String> before = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      before.add(createKey(apps.get(i % 3), "{\"batch\":\"one\"}").get("id").asText());
    }
    AtomicBoolean paging = new AtomicBoolean(true);
    ExecutorService creators = Executors.newFixedThreadPool(2);
    List<Future<Integer>> made = new ArrayList<>();
    CountDownLatch creating = new CountDownLatch(2);
    for (int t = 0; t < 2; t++) {
      int thread = t;
      made.add(
          creators.submit(
              () -> {
                int count = 0;
                creating.countDown();
                while (paging.get()) {
                  createKey(apps.get(thread), "{\"batch\":\"two\"}");
                  count++;
                }
                return count;
              }));
    }
    assertThat(creating.await(10, TimeUnit.SECONDS)).isTrue();
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int page = 0;
    do {
      String q = "/keys?limit=7" + (cursor == null ? "" : "&cursor=" + cursor);
      HttpResponse<String> r = admin(apps.get(page++ % 3), "GET", q, null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode body = json.readTree(r.body());
      body.get("keys").forEach(k -> seen.add(k.get("id").asText()));
      cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
    } while (cursor != null);
    paging.set(false);
    int created = 0;
    for (Future<Integer> f : made) {
      created += f.get(30, TimeUnit.SECONDS);
    }
    creators.shutdown();
    assertThat(created).as("keys were created while paging").isPositive();
    assertThat(seen).doesNotHaveDuplicates().containsAll(before);

    HttpResponse<String> filtered =
        admin(
            apps.get(0),
            "GET",
            "/keys?label=batch:one&state=active&vendor=twilio&limit=1000",
            null);
    assertThat(json.readTree(filtered.body()).get("keys")).hasSize(30);
    assertThat(admin(apps.get(0), "GET", "/keys?state=sleeping", null).statusCode()).isEqualTo(400);
  }

  @Test
  void aRetriedIdempotentCreationReturnsTheSameKeyOnAnyInstance() throws Exception {
    String body = keyBody("{\"run\":\"r-1\"}", ",\"idempotency_key\":\"run-r-1\"");
    ExecutorService retries = Executors.newFixedThreadPool(6);
    List<Future<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      KeybrakeApp app = apps.get(i % 3);
      answers.add(retries.submit(() -> admin(app, "POST", "/keys", body)));
    }
    Set<String> ids = new HashSet<>();
    Set<String> vaults = new HashSet<>();
    for (Future<HttpResponse<String>> f : answers) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      JsonNode k = json.readTree(r.body());
      ids.add(k.get("id").asText());
      vaults.add(k.get("vault_key").asText());
    }
    retries.shutdown();
    assertThat(ids).hasSize(1);
    assertThat(vaults).hasSize(1);
    assertThat(sms(apps.get(2), vaults.iterator().next(), "works")).isEqualTo(201);
    HttpResponse<String> listed = admin(apps.get(0), "GET", "/keys?label=run:r-1", null);
    assertThat(json.readTree(listed.body()).get("keys")).hasSize(1);

    HttpResponse<String> other =
        admin(
            apps.get(1),
            "POST",
            "/keys",
            keyBody("{\"run\":\"r-2\"}", ",\"idempotency_key\":\"run-r-1\""));
    assertThat(other.statusCode()).isEqualTo(409);
    assertThat(other.body()).contains("idempotency_key_reused");
  }
}
