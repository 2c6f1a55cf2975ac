package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.testing.MutableClock;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twilio prices a message after creating it: the call is settled at the estimate first, then at
 * Twilio's price once the reconciler fetches it.
 */
class ReconciliationIT {
  @TempDir Path dir;
  Gateway gw;

  @BeforeEach
  void start() throws Exception {
    gw =
        new Gateway(
            dir, new MutableClock(Instant.parse("2026-11-22T12:00:00Z")), Duration.ofSeconds(60));
    gw.twilio.pricePerSegment(new BigDecimal("0.00790"));
  }

  @AfterEach
  void stop() throws Exception {
    gw.close();
  }

  @Test
  void estimatedMessageIsSettledAtTwiliosPriceOnceItIsPriced() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "priced later").statusCode())
        .isEqualTo(201);
    BigDecimal estimate = Micros.toUsd(PriceTable.loadDefault().smsSegmentMicros("US"));
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo(estimate);
    assertThat(gw.audit(key.id()).get(0).get("settlement").asText()).isEqualTo("estimated");

    // not priced yet: nothing changes
    assertThat(gw.app.reconciler().runOnce()).isZero();
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo(estimate);

    gw.clock.advance(Duration.ofSeconds(61));
    assertThat(gw.app.reconciler().runOnce()).isEqualTo(1);
    assertThat(gw.app.reconciler().runOnce()).as("settled once").isZero();

    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo("0.0079");
    JsonNode settled = gw.audit(key.id()).get(0);
    assertThat(settled.get("decision").asText()).isEqualTo("settled");
    assertThat(settled.get("actual_usd").decimalValue()).isEqualByComparingTo("0.0079");
    assertThat(settled.get("estimated_usd").decimalValue()).isEqualByComparingTo(estimate);
    assertThat(settled.get("vendor_object_id").asText()).startsWith("SM");
    var fetches = gw.twilio.received().stream().filter(r -> r.method().equals("GET")).toList();
    assertThat(fetches).isNotEmpty();
    assertThat(fetches.get(0).path()).contains(Gateway.TWILIO_SID);
    assertThat(fetches.get(0).header("authorization"))
        .contains(Gateway.basic(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN));
  }

  @Test
  void everyEstimateIsSettledWhenMoreThanAThousandDecisionsFollowIt() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"]}");
    Instant sent = gw.clock.instant();
    int messages = 30;
    for (int i = 0; i < messages; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "batch " + i).statusCode())
          .isEqualTo(201);
    }
    // 1,100 refused calls after them: the reconciler once read only the newest 1,000 audit rows,
    // and these estimates would have stayed at the estimate for good
    gw.clock.advance(Duration.ofSeconds(1));
    for (int i = 0; i < 1_100; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "refused " + i).statusCode())
          .isEqualTo(403);
    }
    assertThat(gw.app.reconciler().runOnce()).as("not priced yet").isZero();
    assertThat(gw.app.reconciler().oldestUnpriced()).contains(sent);

    gw.clock.advance(Duration.ofSeconds(61));
    assertThat(gw.app.reconciler().runOnce()).isEqualTo(messages);
    assertThat(gw.app.reconciler().runOnce()).as("settled once").isZero();
    assertThat(gw.app.reconciler().oldestUnpriced()).isEmpty();
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue())
        .isEqualByComparingTo(new BigDecimal("0.0079").multiply(BigDecimal.valueOf(messages)));
  }

  @Test
  void aMessageAnotherInstanceAdjustedFirstGetsNoSecondSettledRow() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "two instances").statusCode())
        .isEqualTo(201);
    String reservation =
        gw.app
            .store()
            .auditLog()
            .query(new AuditQuery(Optional.of(key.id()), Optional.empty(), Optional.empty(), 10))
            .get(0)
            .entry()
            .reservationId();
    gw.clock.advance(Duration.ofSeconds(61));
    // a second instance fetched the price first and adjusted the ledger; its settled row is not
    // in the log yet when this instance's pass reads the estimate
    assertThat(gw.app.store().ledger().adjust(reservation, 7_900)).isTrue();

    assertThat(gw.app.reconciler().runOnce()).isZero();

    assertThat(gw.audit(key.id()))
        .as("the estimate's row only: the other instance appends the settled one")
        .extracting(row -> row.get("decision").asText())
        .containsExactly("allowed");
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo("0.0079");
    assertThat(gw.app.reconciler().oldestUnpriced()).as("not left waiting for a price").isEmpty();
  }

  @Test
  void aBacklogOverOnePassesBudgetIsSettledOverPassesEachMessageFetchedOnce() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"]}");
    int messages = 520; // one pass fetches at most 500
    for (int i = 0; i < messages; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "backlog " + i).statusCode())
          .isEqualTo(201);
    }
    gw.clock.advance(Duration.ofSeconds(61));
    Instant priced = gw.clock.instant();

    assertThat(gw.app.reconciler().runOnce()).isEqualTo(500);
    assertThat(fetches()).as("fetches in flight never run past the budget").isEqualTo(500);
    assertThat(gw.app.reconciler().oldestUnpriced()).as("the rest waits").isPresent();
    assertThat(gw.app.reconciler().runOnce()).isEqualTo(messages - 500);
    assertThat(gw.app.reconciler().runOnce()).as("settled once").isZero();
    assertThat(fetches()).as("each message fetched once").isEqualTo(messages);
    assertThat(gw.app.reconciler().oldestUnpriced()).isEmpty();

    var settledRows =
        gw.app
            .store()
            .auditLog()
            .query(
                new AuditQuery(Optional.of(key.id()), Optional.of(priced), Optional.empty(), 1000));
    assertThat(settledRows).hasSize(messages);
    assertThat(settledRows)
        .extracting(r -> r.entry().vendorObjectId())
        .as("one settled row per message")
        .doesNotHaveDuplicates();
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue())
        .isEqualByComparingTo(new BigDecimal("0.0079").multiply(BigDecimal.valueOf(messages)));
  }

  /**
   * Messages deleted in Twilio before they were priced answer 404 for good. Each is fetched again
   * only after a growing wait, and the passes in between spend their budget on the messages sent
   * after them: those are settled, where the old reconciler fetched the same 500 deleted messages
   * at every pass and never reached them.
   */
  @Test
  void messagesTwilioNeverPricesAreFetchedLessOftenAndDoNotHoldBackNewerOnes() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":50,\"allowed_prefixes\":[\"+1\"]}");
    Instant oldest = gw.clock.instant();
    int deleted = 505; // one pass fetches at most 500
    for (int i = 0; i < deleted; i++) {
      var sent = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "deleted " + i);
      assertThat(sent.statusCode()).isEqualTo(201);
      gw.twilio.delete(gw.json.readTree(sent.body()).get("sid").asText());
    }
    gw.clock.advance(Duration.ofSeconds(61));
    assertThat(gw.app.reconciler().runOnce()).isZero();
    assertThat(fetches()).as("the first pass's budget").isEqualTo(500);
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "sent after them").statusCode())
        .isEqualTo(201);

    gw.clock.advance(Duration.ofSeconds(31)); // the deleted ones' first wait is over
    assertThat(gw.app.reconciler().runOnce()).isZero();
    assertThat(fetches()).as("the same 500 again, once").isEqualTo(1_000);

    gw.clock.advance(Duration.ofSeconds(31)); // the new message is priced; the others wait a minute
    assertThat(gw.app.reconciler().runOnce()).as("the message sent after them").isEqualTo(1);
    assertThat(fetches())
        .as("the five the first passes' budget left, and the new one")
        .isEqualTo(1_006);
    assertThat(gw.app.reconciler().runOnce()).as("nothing due").isZero();
    assertThat(fetches()).isEqualTo(1_006);
    assertThat(gw.app.reconciler().oldestUnpriced()).contains(oldest);

    gw.clock.advance(Duration.ofMinutes(10));
    assertThat(gw.app.reconciler().runOnce()).isZero();
    assertThat(fetches()).as("the deleted ones due again, up to the budget").isEqualTo(1_506);
  }

  @Test
  void aVendorThatCannotBeReachedLeavesEveryEstimateForTheNextPass() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    Instant sent = gw.clock.instant();
    for (int i = 0; i < 6; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "unreachable " + i).statusCode())
          .isEqualTo(201);
    }
    BigDecimal spent = gw.spend(key.id()).get("spent_usd").decimalValue();
    gw.clock.advance(Duration.ofSeconds(61));
    gw.twilio.close(); // connections refused from now on

    assertThat(gw.app.reconciler().runOnce()).isZero();
    assertThat(gw.app.reconciler().oldestUnpriced()).contains(sent);
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo(spent);
    assertThat(gw.audit(key.id()))
        .extracting(row -> row.get("settlement").asText())
        .containsOnly("estimated");
  }

  private long fetches() {
    return gw.twilio.received().stream().filter(r -> r.method().equals("GET")).count();
  }
}
