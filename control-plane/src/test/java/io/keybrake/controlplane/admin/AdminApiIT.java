package io.keybrake.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.testing.RawHttpAnswers;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The admin API on a real Jetty server on an ephemeral port, with in-memory stores. */
class AdminApiIT {
  private static final String ADMIN_KEY = "admin-secret-for-tests";
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final String SID = "AC0123456789abcdef0123456789abcdef";
  private static final String TOKEN = "tok_f00dfeedcafe0123456789abcdef42";
  private static final String DOCUMENTED_BODY =
      "{\"name\":\"support-bot-prod\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
          + SID
          + "\",\"twilio_auth_token\":\""
          + TOKEN
          + "\",\"policy\":{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],"
          + "\"dedup_window_seconds\":60,\"expires_in\":\"24h\"}}";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private final InMemoryKeyStore keys = new InMemoryKeyStore();
  private final InMemoryLedger ledger = new InMemoryLedger();
  private final InMemoryAuditLog audit = new InMemoryAuditLog();
  private final MutableClock clock = new MutableClock(NOW);
  private final List<KeyRecord> revoked = new CopyOnWriteArrayList<>();
  private volatile Consumer<KeyRecord> revokeHook = revoked::add;
  private final HttpClient http = HttpClient.newHttpClient();
  private Server server;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    AdminApi api = new AdminApi(ADMIN_KEY, keys, ledger, audit, clock, k -> revokeHook.accept(k));
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(0);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Sequence(api, new GatewayStandIn()));
    server.start();
    base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  /** What the local gateway would be: answers everything the admin API declines with 418. */
  private static final class GatewayStandIn extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      // read the body as a real gateway does: an unread body makes Jetty close the connection,
      // and the client's next request may go out on it before it learns that (a flaky "no bytes")
      Content.Source.asString(request);
      response.setStatus(418);
      Content.Sink.write(response, true, "gateway", callback);
      return true;
    }
  }

  // ---- helpers ----

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> admin(String method, String path, String body) throws Exception {
    if (body == null) {
      return send(method, path, null, "X-Admin-Key", ADMIN_KEY);
    }
    return send(method, path, body, "X-Admin-Key", ADMIN_KEY, "Content-Type", "application/json");
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  private JsonNode createDocumentedKey() throws Exception {
    HttpResponse<String> r = admin("POST", "/keys", DOCUMENTED_BODY);
    assertThat(r.statusCode()).isEqualTo(201);
    return json(r);
  }

  private static void assertError(HttpResponse<String> r, int status, String code)
      throws Exception {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = json(r);
    assertThat(body.path("code").asText()).isEqualTo(code);
    assertThat(body.path("message").asText()).isNotBlank();
  }

  // ---- POST /keys ----

  @Test
  void documentedCurlShapeCreatesAKeyWhoseHashIsStored() throws Exception {
    HttpResponse<String> r = admin("POST", "/keys", DOCUMENTED_BODY);

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("cache-control")).contains("no-store");
    JsonNode body = json(r);
    String id = body.get("id").asText();
    String vaultKey = body.get("vault_key").asText();
    assertThat(id).matches("key_[0-9A-Za-z]{20}");
    assertThat(vaultKey).matches("vault_key_[0-9A-Za-z]{40}");
    assertThat(r.headers().firstValue("location")).contains("/keys/" + id);
    assertThat(body.get("name").asText()).isEqualTo("support-bot-prod");
    assertThat(body.get("vendor").asText()).isEqualTo("twilio");
    assertThat(body.get("labels").size()).isZero();
    assertThat(body.get("created_at").asText()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(body.get("expires_at").asText()).isEqualTo("2026-11-23T10:00:00Z");
    assertThat(r.body()).contains("\"daily_usd_cap\":50.00");
    assertThat(body.at("/policy/allowed_prefixes/0").asText()).isEqualTo("+1");
    assertThat(body.at("/policy/dedup_window_seconds").asInt()).isEqualTo(60);
    assertThat(body.at("/policy/expires_in").asText()).isEqualTo("24h");
    assertThat(body.at("/policy/max_call_seconds").asInt()).isEqualTo(600);
    assertThat(r.body()).doesNotContain(TOKEN).doesNotContain(SID);

    KeyRecord stored = keys.findById(id).orElseThrow();
    assertThat(stored.secretHash()).isEqualTo(VaultKeys.hash(vaultKey));
    assertThat(keys.findBySecretHash(VaultKeys.hash(vaultKey))).contains(stored);
    // the fields twilio.yaml declares, by name
    assertThat(stored.credential())
        .isEqualTo(
            new VendorCredential.Fields(java.util.Map.of("account_sid", SID, "auth_token", TOKEN)));
    assertThat(stored.policy().dailyCapMicros()).isEqualTo(50_000_000);
    assertThat(stored.expiresAt()).contains(NOW.plus(Duration.ofHours(24)));
    assertThat(stored.revokedAt()).isEmpty();
  }

  @Test
  void keyWithoutExpiryHasNullExpiresAtAndKeepsLabels() throws Exception {
    HttpResponse<String> r =
        admin(
            "POST",
            "/keys",
            "{\"name\":\"billing\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_abc123\","
                + "\"labels\":{\"team\":\"payments\",\"env\":\"prod\"},"
                + "\"policy\":{\"daily_usd_cap\":12.5,\"total_usd_cap\":100}}");

    assertThat(r.statusCode()).isEqualTo(201);
    JsonNode body = json(r);
    assertThat(body.get("expires_at").isNull()).isTrue();
    assertThat(body.get("labels").get("team").asText()).isEqualTo("payments");
    assertThat(body.get("labels").get("env").asText()).isEqualTo("prod");
    assertThat(r.body()).contains("\"daily_usd_cap\":12.50").contains("\"total_usd_cap\":100.00");
    assertThat(r.body()).doesNotContain("sk_test_abc123");
    KeyRecord stored = keys.findById(body.get("id").asText()).orElseThrow();
    assertThat(stored.credential())
        .isEqualTo(new VendorCredential.Fields(java.util.Map.of("secret_key", "sk_test_abc123")));
    assertThat(stored.labels()).containsEntry("team", "payments");
  }

  @Test
  void resendKeyIsAccepted() throws Exception {
    HttpResponse<String> r =
        admin(
            "POST",
            "/keys",
            "{\"name\":\"mailer\",\"vendor\":\"resend\",\"resend_api_key\":\"re_123abc\","
                + "\"policy\":{\"daily_usd_cap\":1}}");
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(json(r).get("vendor").asText()).isEqualTo("resend");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "name missing | {'vendor':'resend','resend_api_key':'re_SECRET1','policy':{'daily_usd_cap':1}}"
            + " | name",
        "name blank | {'name':'  ','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | name",
        "name too long | {'name':'NAME129','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | name",
        "name not a string | {'name':5,'vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | name",
        "vendor unknown | {'name':'a','vendor':'sendgrid','policy':{'daily_usd_cap':1}} | vendor",
        "vendor missing | {'name':'a','policy':{'daily_usd_cap':1}} | vendor",
        "twilio sid malformed | {'name':'a','vendor':'twilio','twilio_account_sid':'AC123',"
            + "'twilio_auth_token':'SECRET1','policy':{'daily_usd_cap':1}} | twilio_account_sid",
        "twilio sid missing | {'name':'a','vendor':'twilio','twilio_auth_token':'SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | twilio_account_sid",
        "twilio token missing | {'name':'a','vendor':'twilio','twilio_account_sid':'"
            + SID
            + "','policy':{'daily_usd_cap':1}} | twilio_auth_token",
        "twilio token empty | {'name':'a','vendor':'twilio','twilio_account_sid':'"
            + SID
            + "','twilio_auth_token':'','policy':{'daily_usd_cap':1}} | twilio_auth_token",
        "stripe publishable key | {'name':'a','vendor':'stripe','stripe_secret_key':'pk_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | stripe_secret_key",
        "stripe key missing | {'name':'a','vendor':'stripe','policy':{'daily_usd_cap':1}}"
            + " | stripe_secret_key",
        "resend key wrong prefix | {'name':'a','vendor':'resend','resend_api_key':'xx_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | resend_api_key",
        "credential of other vendor | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'stripe_secret_key':'sk_SECRET1','policy':{'daily_usd_cap':1}} | stripe_secret_key",
        "labels not strings | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'labels':{'team':7},'policy':{'daily_usd_cap':1}} | labels.team",
        "labels not object | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'labels':['x'],'policy':{'daily_usd_cap':1}} | labels",
        "policy missing | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1'} | policy",
        "policy not object | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':7} | policy",
        "daily cap zero | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':0}} | policy.daily_usd_cap",
        "daily cap missing | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{}} | policy.daily_usd_cap",
        "bad expiry | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1,'expires_in':'1 day'}} | policy.expires_in",
        "bad country | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1,'allowed_countries':['ZZ']}} | policy.allowed_countries",
        "policy typo | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1,'allowed_prefix':['+1']}} | policy.allowed_prefix",
        "top-level typo | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'polcy':{'daily_usd_cap':1}} | polcy",
        "not json | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1' | JSON",
        "duplicate field | {'name':'a','name':'b','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} | JSON",
        "trailing garbage | {'name':'a','vendor':'resend','resend_api_key':'re_SECRET1',"
            + "'policy':{'daily_usd_cap':1}} {'x':1} | JSON",
        "array body | ['re_SECRET1'] | body",
      })
  void invalidRequestIs400NamingTheFieldWithoutEchoingSecrets(
      String name, String body, String field) throws Exception {
    String text = body.replace('\'', '"').replace("NAME129", "n".repeat(129));

    HttpResponse<String> r = admin("POST", "/keys", text);

    assertError(r, 400, "invalid_request");
    assertThat(json(r).get("message").asText()).contains(field);
    assertThat(r.body()).doesNotContain("SECRET1").doesNotContain(SID);
    assertThat(keys.list()).isEmpty();
  }

  @Test
  void duplicateInTheStoreIs409() throws Exception {
    keys.setDuplicateOnCreate(true);
    HttpResponse<String> r = admin("POST", "/keys", DOCUMENTED_BODY);
    assertError(r, 409, "conflict");
    assertThat(r.body()).doesNotContain("vault_key").doesNotContain(TOKEN);
  }

  @Test
  void nonJsonContentTypeIs415() throws Exception {
    HttpResponse<String> r =
        send(
            "POST",
            "/keys",
            DOCUMENTED_BODY,
            "X-Admin-Key",
            ADMIN_KEY,
            "Content-Type",
            "application/x-www-form-urlencoded");
    assertError(r, 415, "unsupported_media_type");
    assertThat(keys.list()).isEmpty();
  }

  @Test
  void jsonWithCharsetIsAccepted() throws Exception {
    HttpResponse<String> r =
        send(
            "POST",
            "/keys",
            DOCUMENTED_BODY,
            "X-Admin-Key",
            ADMIN_KEY,
            "Content-Type",
            "application/json; charset=utf-8");
    assertThat(r.statusCode()).isEqualTo(201);
  }

  @Test
  void bodyOver64KibIs413() throws Exception {
    String big =
        "{\"name\":\"a\",\"vendor\":\"resend\",\"resend_api_key\":\"re_x\",\"labels\":{\"pad\":\""
            + "x".repeat(AdminApi.MAX_BODY_BYTES)
            + "\"},\"policy\":{\"daily_usd_cap\":1}}";
    HttpResponse<String> r = admin("POST", "/keys", big);
    assertError(r, 413, "request_too_large");
    assertThat(keys.list()).isEmpty();
  }

  @Test
  void aBodyRefusedForItsSizeIsReadSoTheClientGets413OnALiveConnection() throws Exception {
    // refusing before the body arrives and closing with it unread resets the connection, and the
    // client may never see the 413: the server reads and drops the body first, then the
    // connection stays open for the next request
    byte[] body = new byte[AdminApi.MAX_BODY_BYTES + 5_000];
    java.util.Arrays.fill(body, (byte) 'x');
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(10_000);
      var out = socket.getOutputStream();
      var in = new java.io.BufferedInputStream(socket.getInputStream());
      out.write(
          ("POST /keys HTTP/1.1\r\nHost: x\r\nX-Admin-Key: "
                  + ADMIN_KEY
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String first = RawHttpAnswers.readHead(in);
      assertThat(first).startsWith("HTTP/1.1 413").doesNotContainIgnoringCase("connection: close");
      in.readNBytes(RawHttpAnswers.contentLength(first));

      out.write(
          ("GET /keys HTTP/1.1\r\nHost: x\r\nX-Admin-Key: " + ADMIN_KEY + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(RawHttpAnswers.readHead(in))
          .as("the same connection answers again")
          .startsWith("HTTP/1.1 200");
    }
    assertThat(keys.list()).isEmpty();
  }

  @Test
  void chunkedBodyOver64KibIs413() throws Exception {
    byte[] big =
        ("{\"name\":\"" + "x".repeat(AdminApi.MAX_BODY_BYTES) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    HttpRequest req =
        HttpRequest.newBuilder(base.resolve("/keys"))
            .header("X-Admin-Key", ADMIN_KEY)
            .header("Content-Type", "application/json")
            // an input stream has no known length: the client sends it chunked
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
            .build();

    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());

    assertError(r, 413, "request_too_large");
    assertThat(keys.list()).isEmpty();
  }

  // ---- auth, routing, methods ----

  @Test
  void missingOrWrongAdminKeyIs401OnEveryRoute() throws Exception {
    String id = createDocumentedKey().get("id").asText();
    String[][] routes = {
      {"POST", "/keys"},
      {"GET", "/keys"},
      {"GET", "/keys/" + id},
      {"DELETE", "/keys/" + id},
      {"GET", "/keys/" + id + "/spend"},
      {"GET", "/audit"},
    };
    for (String[] route : routes) {
      assertError(
          send(route[0], route[1], DOCUMENTED_BODY, "Content-Type", "application/json"),
          401,
          "unauthorized");
      HttpResponse<String> wrong =
          send(
              route[0],
              route[1],
              DOCUMENTED_BODY,
              "Content-Type",
              "application/json",
              "X-Admin-Key",
              ADMIN_KEY + "x");
      assertError(wrong, 401, "unauthorized");
      assertThat(wrong.body()).doesNotContain(ADMIN_KEY);
    }
    assertThat(keys.list()).hasSize(1);
    assertThat(keys.findById(id).orElseThrow().isRevoked()).isFalse();
    assertThat(revoked).isEmpty();
  }

  @Test
  void otherPathsAreLeftToTheNextHandler() throws Exception {
    for (String path :
        List.of(
            "/v1/charges", "/2010-04-01/Accounts/AC1/Messages.json", "/", "/keysx", "/auditing")) {
      HttpResponse<String> r = send("POST", path, "x=1");
      assertThat(r.statusCode()).isEqualTo(418);
      assertThat(r.body()).isEqualTo("gateway");
    }
  }

  @Test
  void pathsUnderAdminPrefixesOrWithTheAdminHeaderNeverReachTheGateway() throws Exception {
    for (String path :
        List.of("/keys/a/b", "/keys/key_a/spend/x", "/audit/x", "/budgets/x/y", "/keys/")) {
      assertError(send("GET", path, null), 401, "unauthorized");
      HttpResponse<String> r = admin("GET", path, null);
      assertError(r, 404, "not_found");
      assertThat(r.body()).doesNotContain(path);
    }
    for (String path : List.of("/v1/charges", "/stripe/v1/charges", "/", "/metrics-x")) {
      assertError(admin("POST", path, "{}"), 404, "not_found");
      assertError(send("POST", path, "{}", "X-Admin-Key", "wrong"), 401, "unauthorized");
    }
    assertThat(
            audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 10)))
        .isEmpty();
  }

  @Test
  void wrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> r = admin("PUT", "/keys", "{}");
    assertError(r, 405, "method_not_allowed");
    assertThat(r.headers().firstValue("allow")).contains("GET, POST, DELETE");

    HttpResponse<String> onAudit = admin("DELETE", "/audit", null);
    assertError(onAudit, 405, "method_not_allowed");
    assertThat(onAudit.headers().firstValue("allow")).contains("GET");
  }

  @Test
  void unknownKeyIs404() throws Exception {
    assertError(admin("GET", "/keys/key_doesnotexist", null), 404, "not_found");
    assertError(admin("DELETE", "/keys/key_doesnotexist", null), 404, "not_found");
    assertError(admin("GET", "/keys/key_doesnotexist/spend", null), 404, "not_found");
    HttpResponse<String> secretInPath = admin("GET", "/keys/vault_key_" + "a".repeat(40), null);
    assertError(secretInPath, 404, "not_found");
    assertThat(secretInPath.body()).doesNotContain("vault_key_");
    assertThat(revoked).isEmpty();
  }

  @Test
  void storeOutageIs503() throws Exception {
    keys.setDown(true);
    assertError(admin("GET", "/keys", null), 503, "store_unavailable");
  }

  // ---- GET /keys, GET /keys/{id} ----

  @Test
  void listAndGetNeverShowTheVaultKeyOrCredential() throws Exception {
    JsonNode created = createDocumentedKey();
    String id = created.get("id").asText();
    String vaultKey = created.get("vault_key").asText();
    clock.advance(Duration.ofSeconds(1));
    JsonNode second =
        json(
            admin(
                "POST",
                "/keys",
                "{\"name\":\"second\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"rk_live_zz9\","
                    + "\"policy\":{\"daily_usd_cap\":5}}"));

    HttpResponse<String> list = admin("GET", "/keys", null);
    HttpResponse<String> one = admin("GET", "/keys/" + id, null);

    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(one.statusCode()).isEqualTo(200);
    for (HttpResponse<String> r : List.of(list, one)) {
      assertThat(r.body())
          .doesNotContain(vaultKey)
          .doesNotContain(second.get("vault_key").asText())
          .doesNotContain("vault_key")
          .doesNotContain(TOKEN)
          .doesNotContain(SID)
          .doesNotContain("rk_live_zz9")
          .doesNotContain(VaultKeys.hash(vaultKey));
    }
    JsonNode keysJson = json(list).get("keys");
    assertThat(keysJson).hasSize(2);
    assertThat(keysJson.get(0).get("name").asText()).isEqualTo("second");
    assertThat(keysJson.get(1).get("id").asText()).isEqualTo(id);

    JsonNode k = json(one);
    assertThat(k.get("id").asText()).isEqualTo(id);
    assertThat(k.get("name").asText()).isEqualTo("support-bot-prod");
    assertThat(k.get("status").asText()).isEqualTo("active");
    assertThat(k.get("revoked_at").isNull()).isTrue();
    assertThat(k.get("expires_at").asText()).isEqualTo("2026-11-23T10:00:00Z");
    assertThat(k.get("policy")).isEqualTo(created.get("policy"));
  }

  @Test
  void keyPastItsExpiryShowsExpired() throws Exception {
    String id = createDocumentedKey().get("id").asText();
    clock.advance(Duration.ofHours(24));
    assertThat(json(admin("GET", "/keys/" + id, null)).get("status").asText()).isEqualTo("expired");
  }

  // ---- DELETE /keys/{id} ----

  @Test
  void revokeIsIdempotentAndTellsTheHookEachTime() throws Exception {
    String id = createDocumentedKey().get("id").asText();
    clock.advance(Duration.ofMinutes(5));

    HttpResponse<String> first = admin("DELETE", "/keys/" + id, null);
    clock.advance(Duration.ofMinutes(5));
    HttpResponse<String> second = admin("DELETE", "/keys/" + id, null);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(json(first).get("revoked_at").asText()).isEqualTo("2026-11-22T10:05:00Z");
    assertThat(json(second).get("revoked_at").asText()).isEqualTo("2026-11-22T10:05:00Z");
    assertThat(json(second).get("status").asText()).isEqualTo("revoked");
    assertThat(first.body()).doesNotContain("vault_key").doesNotContain(TOKEN);
    assertThat(revoked).hasSize(2);
    assertThat(revoked).allSatisfy(k -> assertThat(k.id()).isEqualTo(id));
    assertThat(revoked.get(0).revokedAt()).contains(Instant.parse("2026-11-22T10:05:00Z"));
    assertThat(keys.findById(id).orElseThrow().isRevoked()).isTrue();
    assertThat(json(admin("GET", "/keys/" + id, null)).get("revoked_at").asText())
        .isEqualTo("2026-11-22T10:05:00Z");
  }

  @Test
  void failingRevokeHookIsReportedAndTheDeleteCanBeRepeated() throws Exception {
    String id = createDocumentedKey().get("id").asText();
    revokeHook =
        k -> {
          throw new IllegalStateException("redis down");
        };

    HttpResponse<String> r = admin("DELETE", "/keys/" + id, null);

    assertError(r, 500, "revoke_not_propagated");
    assertThat(keys.findById(id).orElseThrow().isRevoked()).isTrue();
    revokeHook = revoked::add;
    assertThat(admin("DELETE", "/keys/" + id, null).statusCode()).isEqualTo(200);
    assertThat(revoked).hasSize(1);
  }

  // ---- GET /keys/{id}/spend ----

  @Test
  void spendShowsSettledReservedAndRemainingExactly() throws Exception {
    JsonNode created =
        json(
            admin(
                "POST",
                "/keys",
                "{\"name\":\"b\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_1\","
                    + "\"policy\":{\"daily_usd_cap\":50,\"total_usd_cap\":200}}"));
    String id = created.get("id").asText();
    KeyRecord key = keys.findById(id).orElseThrow();
    List<BudgetLimit> limits = KeyBudgets.limitsFor(key, NOW);
    ledger.reserve(new ReserveRequest("r1", id, limits, 1_500_000, NOW));
    ledger.settle("r1", 1_250_000);
    ledger.reserve(new ReserveRequest("r2", id, limits, 7_900, NOW));
    // yesterday's spend counts toward the total only
    List<BudgetLimit> yesterday = KeyBudgets.limitsFor(key, NOW.minus(Duration.ofDays(1)));
    ledger.reserve(new ReserveRequest("r0", id, yesterday, 10_000_000, NOW));
    ledger.settle("r0", 10_000_000);

    HttpResponse<String> r = admin("GET", "/keys/" + id + "/spend", null);

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode s = json(r);
    assertThat(s.get("key_id").asText()).isEqualTo(id);
    assertThat(s.get("budget").asText()).isEqualTo("key_daily");
    assertThat(s.get("spent_usd").decimalValue()).isEqualByComparingTo("1.25");
    assertThat(s.get("reserved_usd").decimalValue()).isEqualByComparingTo("0.0079");
    assertThat(s.get("cap_usd").decimalValue()).isEqualByComparingTo("50");
    assertThat(s.get("remaining_usd").decimalValue()).isEqualByComparingTo("48.7421");
    assertThat(s.get("window_start").asText()).isEqualTo("2026-11-22T00:00:00Z");
    assertThat(s.get("window_end").asText()).isEqualTo("2026-11-23T00:00:00Z");
    assertThat(r.body())
        .contains("\"spent_usd\":1.25")
        .contains("\"reserved_usd\":0.0079")
        .contains("\"remaining_usd\":48.7421");
    JsonNode total = s.get("total");
    assertThat(total.get("budget").asText()).isEqualTo("key_total");
    assertThat(total.get("spent_usd").decimalValue()).isEqualByComparingTo("11.25");
    assertThat(total.get("reserved_usd").decimalValue()).isEqualByComparingTo("0.0079");
    assertThat(total.get("cap_usd").decimalValue()).isEqualByComparingTo("200");
    assertThat(total.get("remaining_usd").decimalValue()).isEqualByComparingTo("188.7421");
    assertThat(total.get("window_start").isNull()).isTrue();
    assertThat(total.get("window_end").isNull()).isTrue();
  }

  @Test
  void spendOfUnusedKeyInNewYorkUsesLocalDayAndHasNoTotal() throws Exception {
    String id =
        json(admin(
                "POST",
                "/keys",
                "{\"name\":\"b\",\"vendor\":\"resend\",\"resend_api_key\":\"re_1\","
                    + "\"policy\":{\"daily_usd_cap\":0.5,"
                    + "\"time_zone\":\"America/New_York\"}}"))
            .get("id")
            .asText();

    JsonNode s = json(admin("GET", "/keys/" + id + "/spend", null));

    assertThat(s.get("spent_usd").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
    assertThat(s.get("reserved_usd").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
    assertThat(s.get("remaining_usd").decimalValue()).isEqualByComparingTo("0.5");
    // 10:00Z on 22 Nov is 05:00 EST: the local day started at 05:00Z
    assertThat(s.get("window_start").asText()).isEqualTo("2026-11-22T05:00:00Z");
    assertThat(s.get("window_end").asText()).isEqualTo("2026-11-23T05:00:00Z");
    assertThat(s.get("total").isNull()).isTrue();
  }

  // ---- GET /audit ----

  private AuditRecord row(String keyId, Instant at, String decision, Long actual) {
    return audit.append(
        new AuditEntry(
            at,
            keyId,
            "bot-" + keyId,
            Map.of("team", "a"),
            "twilio",
            "POST",
            "messages.create",
            "+1******4567",
            120,
            7_900,
            actual,
            actual == null ? null : "SM123",
            decision,
            decision.equals("blocked") ? "cap_exhausted" : null,
            decision.equals("blocked") ? 429 : 201,
            1_250_000,
            12_345,
            decision.equals("blocked") ? "none" : "estimated",
            "res-1",
            decision.equals("blocked") ? 2_000_000L : null,
            decision.equals("blocked") ? "key_daily" : null));
  }

  @Test
  void auditListsRowsNewestFirstWithEveryField() throws Exception {
    AuditRecord first = row("key_a", NOW.minusSeconds(30), "allowed", 7_900L);
    AuditRecord second = row("key_b", NOW.minusSeconds(20), "blocked", null);

    HttpResponse<String> r = admin("GET", "/audit", null);

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode rows = json(r).get("rows");
    assertThat(rows).hasSize(2);
    JsonNode newest = rows.get(0);
    assertThat(newest.get("seq").asLong()).isEqualTo(second.seq());
    assertThat(newest.get("at").asText()).isEqualTo("2026-11-22T09:59:40Z");
    assertThat(newest.get("key_id").asText()).isEqualTo("key_b");
    assertThat(newest.get("key_name").asText()).isEqualTo("bot-key_b");
    assertThat(newest.get("labels").get("team").asText()).isEqualTo("a");
    assertThat(newest.get("vendor").asText()).isEqualTo("twilio");
    assertThat(newest.get("method").asText()).isEqualTo("POST");
    assertThat(newest.get("endpoint").asText()).isEqualTo("messages.create");
    assertThat(newest.get("destination").asText()).isEqualTo("+1******4567");
    assertThat(newest.get("body_bytes").asLong()).isEqualTo(120);
    assertThat(newest.get("estimated_usd").decimalValue()).isEqualByComparingTo("0.0079");
    assertThat(newest.get("actual_usd").isNull()).isTrue();
    assertThat(newest.get("vendor_object_id").isNull()).isTrue();
    assertThat(newest.get("decision").asText()).isEqualTo("blocked");
    assertThat(newest.get("reason").asText()).isEqualTo("cap_exhausted");
    assertThat(newest.get("http_status").asInt()).isEqualTo(429);
    assertThat(newest.get("spent_usd").decimalValue()).isEqualByComparingTo("1.25");
    assertThat(newest.get("cap_usd").decimalValue()).isEqualByComparingTo("2.00");
    assertThat(newest.get("budget").asText()).isEqualTo("key_daily");
    assertThat(newest.get("latency_ms").decimalValue()).isEqualByComparingTo("12.345");
    assertThat(newest.get("settlement").asText()).isEqualTo("none");
    assertThat(newest.get("prev_hash").asText()).isEqualTo(first.hash());
    assertThat(newest.get("hash").asText()).isEqualTo(second.hash());
    JsonNode oldest = rows.get(1);
    assertThat(oldest.get("actual_usd").decimalValue()).isEqualByComparingTo("0.0079");
    assertThat(oldest.get("vendor_object_id").asText()).isEqualTo("SM123");
    assertThat(oldest.get("reason").isNull()).isTrue();
    // a row that names no cap (written before rows did, or an admin row) shows nulls
    assertThat(oldest.get("cap_usd").isNull()).isTrue();
    assertThat(oldest.get("budget").isNull()).isTrue();
  }

  @Test
  void auditFiltersByKeyTimeAndLimit() throws Exception {
    List<AuditRecord> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      all.add(row(i % 2 == 0 ? "key_a" : "key_b", NOW.plusSeconds(i * 60L), "allowed", 1L));
    }

    assertThat(seqs(admin("GET", "/audit?key_id=key_a", null))).containsExactly(5L, 3L, 1L);
    assertThat(seqs(admin("GET", "/audit?limit=2", null))).containsExactly(6L, 5L);
    assertThat(
            seqs(
                admin("GET", "/audit?since=2026-11-22T10:01:00Z&until=2026-11-22T10:04:00Z", null)))
        .containsExactly(4L, 3L, 2L);
    assertThat(
            seqs(
                admin(
                    "GET", "/audit?key_id=key_b&since=2026-11-22T11:02:00%2B01:00&limit=1", null)))
        .containsExactly(6L);
    assertThat(seqs(admin("GET", "/audit?key_id=key_unknown", null))).isEmpty();
    assertThat(all).hasSize(6);
  }

  @Test
  void badAuditParamsAre400() throws Exception {
    for (String q :
        List.of(
            "limit=0",
            "limit=1001",
            "limit=abc",
            "since=yesterday",
            "until=2026-02-30T00:00:00Z",
            "since=2026-11-23T00:00:00Z&until=2026-11-22T00:00:00Z",
            "keyid=key_a",
            "limit=1&limit=2")) {
      HttpResponse<String> r = admin("GET", "/audit?" + q, null);
      assertError(r, 400, "invalid_request");
    }
  }

  private static List<Long> seqs(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).isEqualTo(200);
    List<Long> out = new ArrayList<>();
    json(r).get("rows").forEach(n -> out.add(n.get("seq").asLong()));
    return out;
  }
}
