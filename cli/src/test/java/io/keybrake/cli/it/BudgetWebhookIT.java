package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.webhook.WebhookSignature;
import io.keybrake.core.testing.MutableClock;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budget webhooks through the real gateway: a key with a $0.05 daily cap (six US messages) sends
 * until it is refused; the receiver gets one signed POST at 50, 80 and 100 %, the first one only
 * after a 500 was retried, and a restart in between does not send a threshold twice.
 */
class BudgetWebhookIT {
  static final String SECRET = "webhook-secret-0123456789";

  /** One POST the receiver got. */
  record Delivery(int answered, String eventId, boolean signatureOk, JsonNode body) {}

  @TempDir Path dir;
  Gateway gw;
  HttpServer receiver;
  final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  final List<JsonNode> budgetHook = new CopyOnWriteArrayList<>();
  URI budgetHookUri;
  final AtomicInteger failuresLeft = new AtomicInteger(1);
  final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          String sig = ex.getRequestHeaders().getFirst(WebhookSignature.HEADER);
          int status = failuresLeft.getAndDecrement() > 0 ? 500 : 204;
          deliveries.add(
              new Delivery(
                  status,
                  ex.getRequestHeaders().getFirst("X-Keybrake-Event-Id"),
                  sig != null && WebhookSignature.verify(SECRET, sig, body),
                  json.readTree(body)));
          ex.sendResponseHeaders(status, -1);
          ex.close();
        });
    receiver.createContext(
        "/budget-hook",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          String sig = ex.getRequestHeaders().getFirst(WebhookSignature.HEADER);
          if (sig != null && WebhookSignature.verify(SECRET, sig, body)) {
            budgetHook.add(json.readTree(body));
          }
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    receiver.start();
    budgetHookUri =
        URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/budget-hook");
    URI hook = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
    gw =
        new Gateway(
            dir,
            new MutableClock(Instant.parse("2026-11-22T12:00:00Z")),
            Duration.ZERO,
            new OpsSettings(List.of(), List.of(hook), Optional.of(SECRET), false));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      gw.close();
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void eachThresholdIsDeliveredOnceSignedRetriedAndNotRepeatedAfterARestart() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":0.05,\"allowed_prefixes\":[\"+1\"]}");
    // 4 x $0.0083 = 66 %: crosses 50 %; the receiver answers the first POST with a 500
    for (int i = 0; i < 4; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "m" + i).statusCode())
          .isEqualTo(201);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> accepted(50) == 1);
    assertThat(deliveries.get(0).answered()).isEqualTo(500);
    assertThat(deliveries.get(0).body().get("percent").asInt()).isEqualTo(50);
    assertThat(deliveries).hasSize(2); // the 500, then the retry that was taken
    // recorded as delivered in the store (what a restart reads) before the restart
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                MetricsScenarioIT.scrape(gw)
                            .sum(
                                "keybrake_webhook_deliveries_total",
                                java.util.Map.of("outcome", "delivered"))
                        == 1
                    && MetricsScenarioIT.scrape(gw)
                            .sum("keybrake_webhook_pending_events", java.util.Map.of())
                        == 0);
    assertThat(
            MetricsScenarioIT.scrape(gw)
                .sum(
                    "keybrake_webhook_deliveries_total",
                    java.util.Map.of("outcome", "failed_attempt")))
        .isEqualTo(1);

    gw.restart();
    // 5 x = 83 %: crosses 80 %; 50 % is still crossed but was sent before the restart
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "m4").statusCode()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> accepted(80) == 1);
    // the sixth fits (99.6 %), the seventh is refused: the cap is hit
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "m5").statusCode()).isEqualTo(201);
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "m6").statusCode()).isEqualTo(429);
    await().atMost(Duration.ofSeconds(30)).until(() -> accepted(100) == 1);

    assertThat(accepted(50)).isEqualTo(1);
    assertThat(accepted(80)).isEqualTo(1);
    assertThat(deliveries).allMatch(Delivery::signatureOk);
    assertThat(deliveries).extracting(Delivery::eventId).doesNotContainNull();
    JsonNode last = deliveries.get(deliveries.size() - 1).body();
    assertThat(last.get("type").asText()).isEqualTo("budget.threshold");
    assertThat(last.get("key_id").asText()).isEqualTo(key.id());
    assertThat(last.get("budget").asText()).isEqualTo("key_daily");
    assertThat(last.get("cap_usd").decimalValue()).isEqualByComparingTo("0.05");
    assertThat(last.get("spent_usd").decimalValue()).isEqualByComparingTo("0.0498");
    assertThat(last.toString()).doesNotContain("vault_key").doesNotContain(Gateway.TWILIO_TOKEN);
  }

  @Test
  void aBudgetsOwnWebhookGetsItsThresholds() throws Exception {
    failuresLeft.set(0);
    var created =
        gw.admin(
            "POST",
            "/budgets",
            "{\"name\":\"support-fleet\",\"selector\":{\"labels\":{\"team\":\"support\"}},"
                + "\"daily_usd_cap\":0.02,\"webhook_url\":\""
                + budgetHookUri
                + "\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    // the path of a webhook URL is its token: shown masked
    assertThat(created.body()).doesNotContain("budget-hook").contains("http://127.0.0.1:");
    assertThat(
            gw.admin(
                    "POST",
                    "/budgets",
                    "{\"name\":\"x\",\"selector\":{\"vendor\":\"twilio\"},"
                        + "\"daily_usd_cap\":1,\"webhook_url\":\"ftp://nope\"}")
                .statusCode())
        .isEqualTo(400);
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    // 2 x $0.0083 = 83 % of the budget's $0.02
    for (int i = 0; i < 2; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "b" + i).statusCode())
          .isEqualTo(201);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> budgetHook.size() >= 2);
    assertThat(budgetHook).extracting(n -> n.get("percent").asInt()).containsExactly(50, 80);
    assertThat(budgetHook).allMatch(n -> n.get("budget_name").asText().equals("support-fleet"));
    assertThat(budgetHook).allMatch(n -> n.get("budget").asText().equals("support-fleet/daily"));
    // the global target gets them too; the key's own $5 cap is far from 50 %
    await().atMost(Duration.ofSeconds(30)).until(() -> accepted(80) == 1);
    assertThat(deliveries).noneMatch(d -> d.body().has("key_id"));
  }

  @Test
  void aForgedOrAlteredBodyDoesNotVerify() {
    byte[] body = "{\"percent\":80}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String header = WebhookSignature.header(SECRET, 1_790_000_000L, body);
    assertThat(WebhookSignature.verify(SECRET, header, body)).isTrue();
    assertThat(
            WebhookSignature.verify(
                SECRET,
                header,
                "{\"percent\":81}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isFalse();
    assertThat(WebhookSignature.verify("another-secret-0123456", header, body)).isFalse();
    assertThat(
            WebhookSignature.verify(SECRET, header.replace("t=1790000000", "t=1790000001"), body))
        .isFalse();
  }

  private long accepted(int percent) {
    return deliveries.stream()
        .filter(d -> d.answered() == 204 && d.body().get("percent").asInt() == percent)
        .count();
  }
}
