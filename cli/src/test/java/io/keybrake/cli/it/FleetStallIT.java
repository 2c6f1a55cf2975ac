package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.harness.net.StallingProxy;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.TwilioSimulator;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisStore;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Redis answer held back past the command deadline (a TCP proxy between the instance and Redis
 * stalls): that call is refused 503 and not forwarded, the reservation Redis made for it is
 * released once the answer arrives, its dedup claim is dropped, and the next calls, its retry
 * included, succeed.
 */
class FleetStallIT {
  private static final Duration DEADLINE = Duration.ofMillis(150);

  @TempDir Path dir;
  FleetFixture fleet;
  TwilioSimulator twilio;
  RedisServer redis;
  StallingProxy proxy;
  KeybrakeApp app;

  @BeforeEach
  void start() throws Exception {
    fleet = new FleetFixture();
    twilio = new TwilioSimulator(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN);
    twilio.start();
    redis = RedisServer.start();
    proxy = StallingProxy.to(redis.port());
    app =
        fleet.start(
            dir,
            proxy.redisUri(),
            Map.of("twilio", twilio.baseUri()),
            FleetTuning.DEFAULTS.withRedisCommandTimeout(DEADLINE));
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    proxy.close();
    redis.close();
    twilio.close();
    fleet.close();
  }

  @Test
  void aCallWhoseReserveAnswerIsStalledIsRefusedAndKeepsNoBudget() throws Exception {
    JsonNode key = fleet.twilioKey(app, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    String vault = key.get("vault_key").asText();
    String spend = "/keys/" + key.get("id").asText() + "/spend";
    assertThat(fleet.sms(app, vault, "first").statusCode()).isEqualTo(201);

    HttpResponse<String> stalled;
    proxy.holdAnswers();
    try {
      stalled = fleet.sms(app, vault, "stalled");
    } finally {
      proxy.releaseAnswers();
    }
    assertThat(stalled.statusCode()).as(stalled.body()).isEqualTo(503);
    assertThat(fleet.json.readTree(stalled.body()).get("keybrake_code").asText())
        .isEqualTo("ledger_unavailable");

    RedisLedger ledger =
        (RedisLedger) io.keybrake.cli.metrics.OpsMetrics.unwrap(app.store().ledger());
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(ledger.lostReservesPending()).isZero();
              assertThat(
                      fleet
                          .json
                          .readTree(fleet.get(app, spend).body())
                          .get("reserved_usd")
                          .decimalValue())
                  .isZero();
            });
    assertThat(ledger.store().circuit()).isEqualTo(RedisStore.Circuit.CLOSED);

    // the agent's retry of the refused call goes (its claim was dropped), and so do new calls
    assertThat(fleet.sms(app, vault, "stalled").statusCode()).isEqualTo(201);
    assertThat(fleet.sms(app, vault, "next").statusCode()).isEqualTo(201);
    assertThat(twilio.received()).hasSize(3);
    long price = PriceTable.loadDefault().smsSegmentMicros("US");
    JsonNode after = fleet.json.readTree(fleet.get(app, spend).body());
    assertThat(
            Micros.fromUsd(after.get("spent_usd").decimalValue())
                + Micros.fromUsd(after.get("reserved_usd").decimalValue()))
        .isEqualTo(3 * price);
  }
}
