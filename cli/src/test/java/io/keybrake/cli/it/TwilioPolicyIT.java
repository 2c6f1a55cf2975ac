package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.PriceTable;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed scenarios for Twilio, through the local gateway to the Twilio simulator. */
class TwilioPolicyIT {
  @TempDir Path dir;
  Gateway gw;

  @BeforeEach
  void start() throws Exception {
    gw = new Gateway(dir);
  }

  @AfterEach
  void stop() throws Exception {
    gw.close();
  }

  @Test
  void retryStormReachesVendorOnce() throws Exception {
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"],\"dedup_window_seconds\":60}");
    Callable<HttpResponse<String>> send =
        () -> gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "Your order shipped");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<HttpResponse<String>> responses = new ArrayList<>();
    try {
      List<Future<HttpResponse<String>>> concurrent = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        concurrent.add(pool.submit(send));
      }
      for (Future<HttpResponse<String>> f : concurrent) {
        responses.add(f.get());
      }
    } finally {
      pool.shutdown();
    }
    for (int i = 0; i < 3; i++) {
      responses.add(send.call());
    }

    assertThat(gw.twilio.received()).hasSize(1);
    assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(201);
    assertThat(responses).extracting(HttpResponse::body).containsOnly(responses.get(0).body());
    long replays =
        responses.stream()
            .filter(r -> "replay".equals(r.headers().firstValue("x-keybrake-dedup").orElse(null)))
            .count();
    assertThat(replays).isEqualTo(5);
    long segmentPrice = PriceTable.loadDefault().smsSegmentMicros("US");
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue().add(spend.get("reserved_usd").decimalValue()))
        .isEqualByComparingTo(Micros.toUsd(segmentPrice));
    JsonNode rows = gw.audit(key.id());
    assertThat(rows)
        .extracting(r -> r.get("decision").asText())
        .containsOnly("allowed", "replayed");
    assertThat(rows).filteredOn(r -> r.get("decision").asText().equals("replayed")).hasSize(5);
  }

  @Test
  void nigerianNumberOnUsOnlyKeyIsBlockedBeforeTheVendor() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"]}");
    HttpResponse<String> r = gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "hello");

    assertThat(r.statusCode()).isEqualTo(403);
    JsonNode body = gw.body(r);
    assertThat(body.get("keybrake_code").asText()).isEqualTo("destination_not_allowed");
    assertThat(body.get("message").asText()).contains("+234").doesNotContain("1234567");
    assertThat(gw.twilio.received()).isEmpty();
    JsonNode row = gw.audit(key.id()).get(0);
    assertThat(row.get("decision").asText()).isEqualTo("blocked");
    assertThat(row.get("reason").asText()).isEqualTo("destination_not_allowed");
    assertThat(row.get("destination").asText()).startsWith("+234").endsWith("****");
    assertThat(row.get("http_status").asInt()).isEqualTo(403);
  }

  @Test
  void capForwardsExactlyWhatItAffordsWithMultiSegmentBodies() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":1.00,\"allowed_prefixes\":[\"+1\"]}");
    long perMessage = 2 * PriceTable.loadDefault().smsSegmentMicros("US");
    long affordable = Micros.fromUsd(new BigDecimal("1.00")) / perMessage;
    String twoSegments = "x".repeat(200);

    int forwarded = 0;
    HttpResponse<String> last;
    while (true) {
      last = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, twoSegments + " #" + forwarded);
      if (last.statusCode() != 201) {
        break;
      }
      forwarded++;
      assertThat(forwarded).isLessThanOrEqualTo((int) affordable);
    }

    assertThat(forwarded).isEqualTo((int) affordable);
    assertThat(gw.twilio.received()).hasSize((int) affordable);
    assertThat(last.statusCode()).isEqualTo(429);
    JsonNode refusal = gw.body(last);
    assertThat(refusal.get("keybrake_code").asText()).isEqualTo("cap_exhausted");
    assertThat(refusal.get("cap_usd").decimalValue()).isEqualByComparingTo("1.00");
    assertThat(refusal.get("spent_usd").decimalValue())
        .isEqualByComparingTo(Micros.toUsd(affordable * perMessage));

    // the refused call kept no dedup claim: its retry is refused for the cap again, at once, not
    // held as a duplicate in flight
    HttpResponse<String> retry =
        gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, twoSegments + " #" + forwarded);
    assertThat(retry.statusCode()).isEqualTo(429);
    assertThat(gw.body(retry).get("keybrake_code").asText()).isEqualTo("cap_exhausted");
    assertThat(gw.twilio.received()).hasSize((int) affordable);
  }

  @Test
  void capHoldsWithThirtyTwoConcurrentSenders() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":1.00,\"allowed_prefixes\":[\"+1\"]}");
    long perMessage = PriceTable.loadDefault().smsSegmentMicros("US");
    long affordable = Micros.fromUsd(new BigDecimal("1.00")) / perMessage;
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger seq = new AtomicInteger();
    List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(32);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 32; w++) {
      workers.add(
          pool.submit(
              () -> {
                while (unexpected.size() < 5) {
                  HttpResponse<String> r =
                      gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "msg " + seq.incrementAndGet());
                  if (r.statusCode() == 201) {
                    ok.incrementAndGet();
                  } else if (r.statusCode() == 429) {
                    return null;
                  } else {
                    unexpected.add(r.statusCode() + " " + r.body());
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : workers) {
      f.get();
    }
    assertThat(unexpected).isEmpty();
    pool.shutdown();

    assertThat(ok.get()).isEqualTo((int) affordable);
    assertThat(gw.twilio.received()).hasSize((int) affordable);
    JsonNode spend = gw.spend(key.id());
    BigDecimal total =
        spend.get("spent_usd").decimalValue().add(spend.get("reserved_usd").decimalValue());
    assertThat(total).isLessThanOrEqualTo(new BigDecimal("1.00"));
    assertThat(total).isEqualByComparingTo(Micros.toUsd(affordable * perMessage));
  }

  @Test
  void revokedKeyIsRefusedOnTheNextCall() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "before").statusCode()).isEqualTo(201);

    assertThat(gw.admin("DELETE", "/keys/" + key.id(), null).statusCode()).isEqualTo(200);
    HttpResponse<String> r = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "after");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(gw.body(r).get("keybrake_code").asText()).isEqualTo("key_revoked");
    assertThat(gw.twilio.received()).hasSize(1);
  }

  @Test
  void keyPastItsExpiryIsRefused() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"expires_in\":\"8h\"}");
    gw.clock.advance(Duration.ofHours(7).plusMinutes(59));
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "in time").statusCode())
        .isEqualTo(201);

    gw.clock.advance(Duration.ofMinutes(2));
    HttpResponse<String> r = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "too late");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(gw.body(r).get("keybrake_code").asText()).isEqualTo("key_expired");
    assertThat(gw.twilio.received()).hasSize(1);
  }

  @Test
  void vendorSeesTheRealCredentialAndNeverTheVaultKey() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    HttpResponse<String> r = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "creds");
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("x-keybrake-spent-usd")).isPresent();
    assertThat(r.headers().firstValue("x-keybrake-remaining-usd")).isPresent();

    var req = gw.twilio.received().get(0);
    assertThat(req.path())
        .isEqualTo("/2010-04-01/Accounts/" + Gateway.TWILIO_SID + "/Messages.json");
    assertThat(req.header("authorization"))
        .contains(Gateway.basic(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN));
    assertThat(req.toString() + new String(req.body())).doesNotContain("vault_key_");
    assertThat(req.headers().toString()).doesNotContain("vault_key_").doesNotContain("x-keybrake");
  }
}
