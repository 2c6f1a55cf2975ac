package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sendgrid.Method;
import com.sendgrid.Request;
import com.sendgrid.Response;
import com.sendgrid.SendGrid;
import com.vonage.client.HttpConfig;
import com.vonage.client.VonageClient;
import com.vonage.client.sms.MessageStatus;
import com.vonage.client.sms.SmsSubmissionResponse;
import com.vonage.client.sms.SmsSubmissionResponseMessage;
import com.vonage.client.sms.messages.TextMessage;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import io.keybrake.cli.settings.VendorDirectory;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.harness.sim.RecordedRequest;
import io.keybrake.harness.sim.SendGridSimulator;
import io.keybrake.harness.sim.VonageSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vonage SMS and SendGrid Mail Send, two vendors that are spec files only ({@code
 * docs/vendors/vonage.yaml}, {@code docs/vendors/sendgrid.yaml}, loaded from {@code
 * KEYBRAKE_VENDOR_DIR}), driven through the gateway by each vendor's official Java SDK: an allowed
 * destination passes with the real credential injected, a disallowed one is refused in the vendor's
 * own error shape, the cap holds under 32 concurrent senders, a retry is replayed.
 */
class SpecVendorsIT {
  static final String ADMIN_KEY = "test-admin-key-0123456789";
  static final String VONAGE_KEY = "a1b2c3d4";
  static final String VONAGE_SECRET = "vonage-secret-0123456789";
  static final String SENDGRID_KEY = "SG.keybrake_simulated.0001";
  static final Path VENDOR_DIR = Path.of("..", "docs", "vendors");

  @TempDir Path dir;
  VonageSimulator vonage;
  SendGridSimulator sendgrid;
  KeybrakeApp app;
  final ObjectMapper json = new ObjectMapper();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    vonage = new VonageSimulator(VONAGE_KEY, VONAGE_SECRET).start();
    sendgrid = new SendGridSimulator(SENDGRID_KEY).start();
    List<String> problems = new ArrayList<>();
    VendorRegistry vendors =
        VendorDirectory.load(Map.of(VendorDirectory.ENV, VENDOR_DIR.toString()), problems);
    assertThat(problems).isEmpty();
    VendorRegistry.configure(vendors);
    Settings settings =
        new Settings(
            Optional.of(ADMIN_KEY),
            dir,
            0,
            0,
            0,
            Map.of("vonage", vonage.baseUri(), "sendgrid", sendgrid.baseUri()),
            "embedded",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    app =
        KeybrakeApp.start(
            settings,
            OpsSettings.DEFAULTS,
            new MutableClock(Instant.parse("2026-11-22T12:00:00Z")),
            io.keybrake.cli.app.Role.all());
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    vonage.close();
    sendgrid.close();
    VendorRegistry.configure(null);
  }

  // --- Vonage, through com.vonage:server-sdk

  @Test
  void vonageAllowedNumberPassesWithTheRealCredentialAndADisallowedOneIsRefusedVonageStyle()
      throws Exception {
    String vault = vonageKey("{\"daily_usd_cap\":1,\"allowed_prefixes\":[\"+44\"]}");
    VonageClient client = vonageClient(vault);

    SmsSubmissionResponse ok =
        client.getSmsClient().submitMessage(new TextMessage("Acme", "447700900123", "hello"));
    SmsSubmissionResponse refused =
        client.getSmsClient().submitMessage(new TextMessage("Acme", "14155552671", "hello"));

    assertThat(ok.getMessages())
        .extracting(SmsSubmissionResponseMessage::getStatus)
        .containsExactly(MessageStatus.OK);
    assertThat(vonage.received()).hasSize(1);
    RecordedRequest forwarded = vonage.received().get(0);
    assertThat(forwarded.header("Authorization")).contains(basic(VONAGE_KEY, VONAGE_SECRET));
    assertThat(forwarded.bodyText()).contains("to=447700900123").doesNotContain(vault);
    SmsSubmissionResponseMessage r = refused.getMessages().get(0);
    assertThat(r.getStatus()).isEqualTo(MessageStatus.NON_WHITELISTED_DESTINATION);
    assertThat(r.getErrorText()).contains("is not allowed");
    assertThat(vonage.received()).hasSize(1);
  }

  @Test
  void vonageCapHoldsUnder32ConcurrentSenders() throws Exception {
    // $0.05 at the spec's US price of $0.0085 a segment: 5 messages, not 6
    String vault = vonageKey("{\"daily_usd_cap\":0.05}");
    VonageClient client = vonageClient(vault);

    List<MessageStatus> statuses =
        concurrently(
            32,
            i ->
                client
                    .getSmsClient()
                    .submitMessage(
                        new TextMessage("Acme", "1415555" + String.format("%04d", i), "hi " + i))
                    .getMessages()
                    .get(0)
                    .getStatus());

    assertThat(statuses).filteredOn(s -> s == MessageStatus.OK).hasSize(5);
    assertThat(statuses)
        .filteredOn(s -> s != MessageStatus.OK)
        .containsOnly(MessageStatus.PARTNER_QUOTA_EXCEEDED);
    assertThat(vonage.received()).hasSize(5);
    assertThat(spentMicros(vault)).isEqualTo(5 * 8_500);
  }

  @Test
  void vonageRetryIsReplayedNotSentTwice() throws Exception {
    VonageClient client = vonageClient(vonageKey("{\"daily_usd_cap\":1}"));
    TextMessage message = new TextMessage("Acme", "447700900123", "your code is 1234");

    SmsSubmissionResponse first = client.getSmsClient().submitMessage(message);
    SmsSubmissionResponse retry = client.getSmsClient().submitMessage(message);

    assertThat(vonage.received()).hasSize(1);
    assertThat(retry.getMessages().get(0).getId()).isEqualTo(first.getMessages().get(0).getId());
  }

  // --- Vonage's /sms/json also takes JSON (raw HTTP: the SDK sends a form)

  @Test
  void vonageSmsAsJsonPassesIsRefusedVonageStyleIsReplayedAndCostsWhatTheFormCallCosts()
      throws Exception {
    String vault =
        vonageKey(
            "{\"daily_usd_cap\":1,\"allowed_prefixes\":[\"+44\"],\"dedup_window_seconds\":60}");
    String auth = basic(vault, "unused-by-the-gateway");

    HttpResponse<String> ok =
        post(
            "/vonage/sms/json",
            auth,
            "application/json; charset=utf-8",
            "{\"from\":\"Acme\",\"to\":\"447700900123\",\"text\":\"your code is 1234\"}");
    long afterJson = spentMicros(vault);
    HttpResponse<String> retry =
        post(
            "/vonage/sms/json",
            auth,
            "application/json",
            "{\"text\":\"your code is 1234\",\"to\":\"447700900123\",\"from\":\"Acme\"}");
    HttpResponse<String> refused =
        post(
            "/vonage/sms/json",
            auth,
            "application/json",
            "{\"from\":\"Acme\",\"to\":14155552671,\"text\":\"your code is 1234\"}");
    HttpResponse<String> form =
        post(
            "/vonage/sms/json",
            auth,
            "application/x-www-form-urlencoded",
            "from=Acme&to=447700900124&text=your+code+is+1234");
    long afterForm = spentMicros(vault);

    // allowed: forwarded as JSON with the real key and secret, the vault key gone
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonNode sent = json.readTree(ok.body()).get("messages").get(0);
    assertThat(sent.get("status").asText()).isEqualTo("0");
    RecordedRequest forwarded = vonage.received().get(0);
    assertThat(forwarded.header("Authorization")).contains(basic(VONAGE_KEY, VONAGE_SECRET));
    assertThat(forwarded.header("Content-Type")).contains("application/json; charset=utf-8");
    assertThat(json.readTree(forwarded.bodyText()).get("to").asText()).isEqualTo("447700900123");
    assertThat(forwarded.bodyText()).doesNotContain(vault);
    // the same fields in another order are the same call: replayed, not sent again
    assertThat(retry.headers().firstValue("x-keybrake-dedup")).contains("replay");
    assertThat(json.readTree(retry.body()).get("messages").get(0).get("message-id").asText())
        .isEqualTo(sent.get("message-id").asText());
    // a number outside the allowlist, even as a JSON number: Vonage's status 29
    assertThat(refused.statusCode()).isEqualTo(200);
    assertThat(refused.headers().firstValue("x-keybrake-refusal"))
        .contains("destination_not_allowed");
    JsonNode r = json.readTree(refused.body()).get("messages").get(0);
    assertThat(r.get("status").asText()).isEqualTo("29");
    assertThat(r.get("error-text").asText()).contains("is not allowed");
    // the form call to the same country with the same text costs the same ($0.05 a GB segment)
    assertThat(form.statusCode()).isEqualTo(200);
    assertThat(afterJson).isEqualTo(50_000);
    assertThat(afterForm - afterJson).isEqualTo(afterJson);
    assertThat(vonage.received()).hasSize(2);
    assertThat(vonage.received().get(1).header("Content-Type"))
        .contains("application/x-www-form-urlencoded");
  }

  @Test
  void vonageRefusesABodyThatIsNeitherFormNorAJsonObjectOfFlatFields() throws Exception {
    String auth = basic(vonageKey("{\"daily_usd_cap\":1}"), "x");

    HttpResponse<String> plain =
        post("/vonage/sms/json", auth, "text/plain", "from=Acme&to=447700900123&text=hi");
    HttpResponse<String> array =
        post(
            "/vonage/sms/json",
            auth,
            "application/json",
            "{\"from\":\"Acme\",\"to\":[\"447700900123\",\"447700900124\"],\"text\":\"hi\"}");

    for (HttpResponse<String> h : List.of(plain, array)) {
      assertThat(h.headers().firstValue("x-keybrake-refusal")).contains("unreadable_request");
      assertThat(json.readTree(h.body()).get("messages").get(0).get("status").asText())
          .isEqualTo("3");
    }
    assertThat(json.readTree(plain.body()).get("messages").get(0).get("error-text").asText())
        .contains("application/x-www-form-urlencoded or application/json");
    assertThat(vonage.received()).isEmpty();
  }

  // --- SendGrid, through com.sendgrid:sendgrid-java

  @Test
  void sendGridAllowedRecipientsPassWithTheRealKeyAndADisallowedOneIsRefusedSendGridStyle()
      throws Exception {
    String vault = sendGridKey("{\"daily_usd_cap\":1,\"allowed_prefixes\":[\"@example.com\"]}");
    SendGrid sg = sendGridClient(vault);

    Response ok = sg.api(mail("a@example.com", "b@example.com", "first"));
    Response refused = sg.api(mail("a@example.com", "eve@elsewhere.test", "second"));

    assertThat(ok.getStatusCode()).isEqualTo(202);
    assertThat(sendgrid.received()).hasSize(1);
    assertThat(sendgrid.received().get(0).header("Authorization"))
        .contains("Bearer " + SENDGRID_KEY);
    assertThat(refused.getStatusCode()).isEqualTo(403);
    JsonNode errors = json.readTree(refused.getBody()).get("errors");
    assertThat(errors.get(0).get("message").asText()).contains("is not allowed");
    assertThat(errors.get(0).has("field")).isTrue();
    assertThat(sendgrid.received()).hasSize(1);
  }

  @Test
  void sendGridCapHoldsUnder32ConcurrentSenders() throws Exception {
    // $0.004 at $0.0004 a recipient, two recipients a send: 5 sends
    String vault = sendGridKey("{\"daily_usd_cap\":0.004}");
    SendGrid sg = sendGridClient(vault);

    List<Integer> statuses =
        concurrently(
            32,
            i ->
                sg.api(mail("a" + i + "@example.com", "b" + i + "@example.com", "n" + i))
                    .getStatusCode());

    assertThat(statuses).filteredOn(s -> s == 202).hasSize(5);
    assertThat(statuses).filteredOn(s -> s != 202).containsOnly(429);
    assertThat(sendgrid.received()).hasSize(5);
    assertThat(spentMicros(vault)).isEqualTo(10 * 400);
  }

  @Test
  void sendGridRetryIsReplayedNotSentTwice() throws Exception {
    SendGrid sg = sendGridClient(sendGridKey("{\"daily_usd_cap\":1}"));

    Response first = sg.api(mail("a@example.com", "b@example.com", "same"));
    Response retry = sg.api(mail("a@example.com", "b@example.com", "same"));

    assertThat(first.getStatusCode()).isEqualTo(202);
    assertThat(retry.getStatusCode()).isEqualTo(202);
    assertThat(header(retry, "x-keybrake-dedup")).isEqualTo("replay");
    assertThat(header(first, "x-keybrake-dedup")).isNull();
    assertThat(sendgrid.received()).hasSize(1);
  }

  // --- key presentation: each vendor accepts only its own

  @Test
  void aKeyPresentedTheWayAnotherVendorPresentsKeysIsRefused() throws Exception {
    String vonageVault = vonageKey("{\"daily_usd_cap\":1}");
    String sendGridVault = sendGridKey("{\"daily_usd_cap\":1}");

    HttpResponse<String> vonageAsBearer =
        post(
            "/vonage/sms/json",
            "Bearer " + vonageVault,
            "application/x-www-form-urlencoded",
            "from=Acme&to=447700900123&text=hi");
    HttpResponse<String> sendGridAsBasic =
        post(
            "/sendgrid/v3/mail/send",
            basic(sendGridVault, ""),
            "application/json",
            mail("a@example.com", "b@example.com", "x").getBody());

    // Vonage answers its errors with 200 and a per-message status (4: invalid credentials)
    assertThat(vonageAsBearer.statusCode()).isEqualTo(200);
    assertThat(vonageAsBearer.headers().firstValue("x-keybrake-refusal")).contains("invalid_key");
    JsonNode vonageError = json.readTree(vonageAsBearer.body()).get("messages").get(0);
    assertThat(vonageError.get("status").asText()).isEqualTo("4");
    assertThat(vonageError.get("error-text").asText())
        .contains("presented as the Basic user, not as a Bearer token");
    assertThat(sendGridAsBasic.statusCode()).isEqualTo(401);
    assertThat(sendGridAsBasic.body())
        .contains("presented as a Bearer token, not as the Basic user");
    assertThat(vonage.received()).isEmpty();
    assertThat(sendgrid.received()).isEmpty();
  }

  // --- helpers

  private static String header(Response r, String name) {
    return r.getHeaders().entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(null);
  }

  private VonageClient vonageClient(String vault) {
    return VonageClient.builder()
        .apiKey(vault)
        .apiSecret("unused-by-the-gateway")
        .httpConfig(HttpConfig.builder().baseUri(uri("/vonage").toString()).build())
        .build();
  }

  private SendGrid sendGridClient(String vault) {
    SendGrid sg = new SendGrid(vault, true); // test mode: plain http to the local gateway
    sg.setHost("127.0.0.1:" + app.httpPort());
    sg.setRateLimitRetry(0);
    return sg;
  }

  private static Request mail(String to, String cc, String subject) {
    Request r = new Request();
    r.setMethod(Method.POST);
    r.setEndpoint("mail/send");
    r.setBody(
        "{\"personalizations\":[{\"to\":[{\"email\":\""
            + to
            + "\"}],\"cc\":[{\"email\":\""
            + cc
            + "\"}]}],\"from\":{\"email\":\"bot@example.com\"},\"subject\":\""
            + subject
            + "\",\"content\":[{\"type\":\"text/plain\",\"value\":\"hello\"}]}");
    return r;
  }

  private String vonageKey(String policy) throws Exception {
    return createKey(
        "{\"name\":\"sms-agent\",\"vendor\":\"vonage\",\"vonage_api_key\":\""
            + VONAGE_KEY
            + "\",\"vonage_api_secret\":\""
            + VONAGE_SECRET
            + "\",\"policy\":"
            + policy
            + "}");
  }

  private String sendGridKey(String policy) throws Exception {
    return createKey(
        "{\"name\":\"mail-agent\",\"vendor\":\"sendgrid\",\"sendgrid_api_key\":\""
            + SENDGRID_KEY
            + "\",\"policy\":"
            + policy
            + "}");
  }

  private final Map<String, String> keyIds = new java.util.concurrent.ConcurrentHashMap<>();

  private String createKey(String body) throws Exception {
    HttpResponse<String> r = admin("POST", "/keys", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode node = json.readTree(r.body());
    keyIds.put(node.get("vault_key").asText(), node.get("id").asText());
    return node.get("vault_key").asText();
  }

  private long spentMicros(String vault) throws Exception {
    HttpResponse<String> r = admin("GET", "/keys/" + keyIds.get(vault) + "/spend", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body())
        .get("spent_usd")
        .decimalValue()
        .movePointRight(6)
        .longValueExact();
  }

  private HttpResponse<String> admin(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("X-Admin-Key", ADMIN_KEY)
            .timeout(Duration.ofSeconds(10));
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String auth, String type, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Authorization", auth)
            .header("Content-Type", type)
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + app.httpPort() + path);
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  interface Call<T> {
    T run(int i) throws Exception;
  }

  /** {@code n} callers released at once, each making one call. */
  private static <T> List<T> concurrently(int n, Call<T> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch ready = new CountDownLatch(n);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<T> task =
            () -> {
              ready.countDown();
              go.await();
              return call.run(index);
            };
        futures.add(pool.submit(task));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
      go.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
