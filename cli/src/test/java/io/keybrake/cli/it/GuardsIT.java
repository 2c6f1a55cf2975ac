package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.ops.PromText;
import io.keybrake.core.testing.MutableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loop and velocity guards, send windows and shadow mode, through the local gateway to the Twilio
 * simulator, with an injected clock.
 */
class GuardsIT {
  static final String NEW_YORK = "+12125550143";
  static final String HONOLULU = "+18085550143";

  @TempDir Path dir;
  Gateway gw;

  @AfterEach
  void stop() throws Exception {
    if (gw != null) {
      gw.close();
    }
  }

  private void start(Instant at) throws Exception {
    gw = new Gateway(dir, new MutableClock(at));
  }

  /** 30 calls to one number within a minute: each a new message, so no dedup replay. */
  private List<HttpResponse<String>> thirtyCallsInAMinute(Gateway.Key key) throws Exception {
    List<HttpResponse<String>> out = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      out.add(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "reminder " + i));
      gw.clock.advance(Duration.ofSeconds(2));
    }
    return out;
  }

  @Test
  void aLoopingAgentIsRefusedFromThe21stCallToOneNumber() throws Exception {
    start(Instant.parse("2026-11-22T12:00:00Z"));
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],"
                + "\"max_calls_per_destination\":20}");

    List<HttpResponse<String>> r = thirtyCallsInAMinute(key);

    assertThat(r.subList(0, 20)).extracting(HttpResponse::statusCode).containsOnly(201);
    assertThat(r.subList(20, 30)).extracting(HttpResponse::statusCode).containsOnly(429);
    JsonNode refusal = gw.body(r.get(20));
    assertThat(refusal.get("keybrake_code").asText()).isEqualTo("destination_rate_exceeded");
    assertThat(refusal.get("max_calls_per_destination").asInt()).isEqualTo(20);
    assertThat(refusal.get("message").asText()).doesNotContain("5552671");
    assertThat(gw.twilio.received()).hasSize(20);
    // another number is counted on its own; the key stays usable (loop_action alert)
    assertThat(gw.sendSms(key.vaultKey(), NEW_YORK, "hello").statusCode()).isEqualTo(201);
    JsonNode rows = gw.audit(key.id());
    assertThat(rows)
        .filteredOn(row -> row.get("reason").asText().equals("destination_rate_exceeded"))
        .hasSize(10);
    // the next clock hour starts a new window
    gw.clock.advance(Duration.ofHours(1));
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "next hour").statusCode())
        .isEqualTo(201);
    PromText scrape = MetricsScenarioIT.scrape(gw);
    assertThat(
            scrape.sum(
                "keybrake_guard_trips_total",
                java.util.Map.of("rule", "destination_rate_exceeded", "action", "alert")))
        .isEqualTo(10.0);
  }

  @Test
  void suspendRevokesTheKeyAndTheAuditLogSaysLoopDetected() throws Exception {
    start(Instant.parse("2026-11-22T12:00:00Z"));
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],"
                + "\"max_calls_per_destination\":20,\"loop_action\":\"suspend\"}");

    List<HttpResponse<String>> r = thirtyCallsInAMinute(key);

    assertThat(r.subList(0, 20)).extracting(HttpResponse::statusCode).containsOnly(201);
    assertThat(r.get(20).statusCode()).isEqualTo(429);
    JsonNode refusal = gw.body(r.get(20));
    assertThat(refusal.get("keybrake_code").asText()).isEqualTo("destination_rate_exceeded");
    assertThat(refusal.get("key_suspended").asText()).isEqualTo("loop_detected");
    assertThat(r.subList(21, 30)).extracting(HttpResponse::statusCode).containsOnly(401);
    assertThat(gw.body(r.get(21)).get("keybrake_code").asText()).isEqualTo("key_revoked");
    assertThat(gw.twilio.received()).hasSize(20);

    JsonNode view = gw.json.readTree(gw.admin("GET", "/keys/" + key.id(), null).body());
    assertThat(view.get("status").asText()).isEqualTo("revoked");
    assertThat(view.get("revoked_at").isNull()).isFalse();
    JsonNode all =
        gw.json
            .readTree(gw.admin("GET", "/audit?key_id=" + key.id() + "&limit=1000", null).body())
            .get("rows");
    List<JsonNode> suspension = new ArrayList<>();
    all.forEach(
        row -> {
          if (row.get("reason").asText().equals("loop_detected")) {
            suspension.add(row);
          }
        });
    assertThat(suspension).hasSize(1);
    assertThat(suspension.get(0).get("decision").asText()).isEqualTo("admin");
  }

  @Test
  void sendWindowReadsTheRecipientsClock() throws Exception {
    // 21:30 in New York (EST, UTC-5) is 16:30 in Honolulu (UTC-10)
    start(Instant.parse("2026-11-23T02:30:00Z"));
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],"
                + "\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"21:00\","
                + "\"time_zone\":\"recipient\"}}");

    HttpResponse<String> newYork = gw.sendSms(key.vaultKey(), NEW_YORK, "sale ends tonight");
    HttpResponse<String> honolulu = gw.sendSms(key.vaultKey(), HONOLULU, "sale ends tonight");

    assertThat(newYork.statusCode()).isEqualTo(403);
    JsonNode refusal = gw.body(newYork);
    assertThat(refusal.get("keybrake_code").asText()).isEqualTo("outside_allowed_hours");
    assertThat(refusal.get("time_zone").asText()).isEqualTo("America/New_York");
    assertThat(refusal.get("message").asText()).contains("21:30");
    assertThat(honolulu.statusCode()).isEqualTo(201);
    assertThat(gw.twilio.received()).hasSize(1);
    assertThat(gw.twilio.received().get(0).form().first("To")).contains(HONOLULU);
  }

  @Test
  void shadowModeForwardsWhatItWouldRefuseRecordsItAndCountsSpend() throws Exception {
    start(Instant.parse("2026-11-22T12:00:00Z"));
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],\"mode\":\"shadow\"}");
    assertThat(key.body().get("policy").get("mode").asText()).isEqualTo("shadow");

    HttpResponse<String> r = gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "hello");

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(gw.twilio.received()).hasSize(1);
    assertThat(gw.twilio.received().get(0).form().first("To")).contains(Gateway.NG_NUMBER);
    JsonNode row = gw.audit(key.id()).get(0);
    assertThat(row.get("decision").asText()).isEqualTo("allowed");
    assertThat(row.get("reason").asText()).isEqualTo("would_refuse:destination_not_allowed");
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue().add(spend.get("reserved_usd").decimalValue()))
        .isPositive();
    PromText scrape = MetricsScenarioIT.scrape(gw);
    assertThat(
            scrape.sum(
                "keybrake_would_refuse_total",
                java.util.Map.of("vendor", "twilio", "reason", "destination_not_allowed")))
        .isEqualTo(1.0);
  }

  @Test
  void shadowModeForwardsPastTheCapAndKeepsCounting() throws Exception {
    start(Instant.parse("2026-11-22T12:00:00Z"));
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":0.01,\"allowed_prefixes\":[\"+1\"],\"mode\":\"shadow\"}");

    for (int i = 0; i < 3; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "msg " + i).statusCode())
          .isEqualTo(201);
    }

    assertThat(gw.twilio.received()).hasSize(3);
    JsonNode rows = gw.audit(key.id());
    assertThat(rows)
        .filteredOn(row -> row.get("reason").asText().equals("would_refuse:cap_exhausted"))
        .hasSize(2);
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue().add(spend.get("reserved_usd").decimalValue()))
        .isGreaterThan(new java.math.BigDecimal("0.01"));
  }

  @Test
  void aTwilioCallGetsTheTimeLimitOfMaxCallSecondsAndIsPricedByIt() throws Exception {
    start(Instant.parse("2026-11-22T12:00:00Z"));
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],\"max_call_seconds\":120}");
    String call =
        "To=%2B14155552671&From=%2B15005550006"
            + "&Twiml=%3CResponse%3E%3CSay%3Ehello%3C%2FSay%3E%3C%2FResponse%3E";
    String path = "/twilio/2010-04-01/Accounts/" + key.vaultKey() + "/Calls.json";
    String auth = Gateway.basic(key.vaultKey(), "x");

    assertThat(gw.postForm(path, auth, call).statusCode()).isEqualTo(201); // absent
    assertThat(gw.postForm(path, auth, call + "&TimeLimit=3600").statusCode()).isEqualTo(201);
    assertThat(gw.postForm(path, auth, call + "&TimeLimit=60").statusCode()).isEqualTo(201);

    assertThat(gw.twilio.received())
        .extracting(q -> q.form().first("TimeLimit").orElse(null))
        .containsExactly("120", "120", "60");
    long perMinute = io.keybrake.core.pricing.PriceTable.loadDefault().voicePerMinuteMicros("US");
    JsonNode rows = gw.audit(key.id()); // newest first
    assertThat(rows.get(2).get("estimated_usd").decimalValue())
        .isEqualByComparingTo(io.keybrake.core.money.Micros.toUsd(2 * perMinute));
    assertThat(rows.get(0).get("estimated_usd").decimalValue())
        .isEqualByComparingTo(io.keybrake.core.money.Micros.toUsd(perMinute));
  }

  @Test
  void aTrippedGuardSendsOneSignedWebhookPerWindow() throws Exception {
    String secret = "guard-webhook-secret-0123";
    List<JsonNode> delivered = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          String sig =
              ex.getRequestHeaders().getFirst(io.keybrake.cli.webhook.WebhookSignature.HEADER);
          if (sig != null && io.keybrake.cli.webhook.WebhookSignature.verify(secret, sig, body)) {
            delivered.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(body));
          }
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
    try {
      java.net.URI hook =
          java.net.URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
      gw =
          new Gateway(
              dir,
              new MutableClock(Instant.parse("2026-11-22T12:00:00Z")),
              Duration.ZERO,
              new io.keybrake.cli.settings.OpsSettings(
                  List.of(), List.of(hook), java.util.Optional.of(secret), false));
      Gateway.Key key =
          gw.createTwilioKey(
              "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],"
                  + "\"max_calls_per_destination\":2}");
      for (int i = 0; i < 5; i++) {
        gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "again " + i);
      }
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> !delivered.isEmpty());
      JsonNode alert = delivered.get(0);
      assertThat(alert.get("type").asText()).isEqualTo("loop_guard_tripped");
      assertThat(alert.get("rule").asText()).isEqualTo("destination_rate_exceeded");
      assertThat(alert.get("key_id").asText()).isEqualTo(key.id());
      assertThat(alert.toString()).doesNotContain("5552671").doesNotContain(key.vaultKey());
      // the three refusals of the same window gave one delivery
      assertThat(
              MetricsScenarioIT.scrape(gw)
                  .sum(
                      "keybrake_webhook_deliveries_total",
                      java.util.Map.of("outcome", "delivered")))
          .isEqualTo(1.0);
      assertThat(delivered).hasSize(1);
    } finally {
      receiver.stop(0);
    }
  }
}
