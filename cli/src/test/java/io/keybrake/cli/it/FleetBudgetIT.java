package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.PriceTable;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fleet budgets over labels and vendor budgets cap many keys at once. */
class FleetBudgetIT {
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
  void labelBudgetStopsEveryKeyItCoversAndNamesItself() throws Exception {
    HttpResponse<String> created =
        gw.admin(
            "POST",
            "/budgets",
            "{\"name\":\"support-fleet\",\"selector\":{\"labels\":{\"team\":\"support\"}},"
                + "\"daily_usd_cap\":0.05}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    // Gateway's Twilio keys carry team=support; each key alone could spend $1.
    Gateway.Key a = gw.createTwilioKey("{\"daily_usd_cap\":1}");
    Gateway.Key b = gw.createTwilioKey("{\"daily_usd_cap\":1}");
    long price = PriceTable.loadDefault().smsSegmentMicros("US");
    long affordable = Micros.fromUsd(new BigDecimal("0.05")) / price;

    int sent = 0;
    HttpResponse<String> last;
    while (true) {
      Gateway.Key k = sent % 2 == 0 ? a : b;
      last = gw.sendSms(k.vaultKey(), Gateway.US_NUMBER, "fleet " + sent);
      if (last.statusCode() != 201) {
        break;
      }
      sent++;
    }

    assertThat(sent).isEqualTo((int) affordable);
    assertThat(gw.twilio.received()).hasSize((int) affordable);
    assertThat(last.statusCode()).isEqualTo(429);
    JsonNode refusal = gw.body(last);
    assertThat(refusal.get("budget").asText()).isEqualTo("support-fleet/daily");
    assertThat(refusal.get("cap_usd").decimalValue()).isEqualByComparingTo("0.05");

    JsonNode spend = gw.spend(a.id());
    assertThat(spend.get("budgets")).hasSize(1);
    JsonNode fleet = spend.get("budgets").get(0);
    assertThat(fleet.get("budget").asText()).isEqualTo("support-fleet/daily");
    assertThat(fleet.get("spent_usd").decimalValue())
        .isEqualByComparingTo(Micros.toUsd(affordable * price));
    JsonNode listed = gw.body(gw.admin("GET", "/budgets", null)).get("budgets").get(0);
    assertThat(listed.get("selector").get("labels").get("team").asText()).isEqualTo("support");
    assertThat(listed.get("spend").get(0).get("remaining_usd").decimalValue())
        .isEqualByComparingTo(
            Micros.toUsd(Micros.fromUsd(new BigDecimal("0.05")) - affordable * price));
  }

  @Test
  void vendorBudgetCoversOnlyThatVendorsKeys() throws Exception {
    assertThat(
            gw.admin(
                    "POST",
                    "/budgets",
                    "{\"name\":\"stripe-month\",\"selector\":{\"vendor\":\"stripe\"},"
                        + "\"monthly_usd_cap\":10}")
                .statusCode())
        .isEqualTo(201);
    Gateway.Key stripe = gw.createStripeKey("{\"daily_usd_cap\":100}");
    Gateway.Key twilio = gw.createTwilioKey("{\"daily_usd_cap\":1}");

    assertThat(
            gw.postForm(
                    "/stripe/v1/charges",
                    Gateway.bearer(stripe.vaultKey()),
                    "amount=900&currency=usd&source=tok")
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> over =
        gw.postForm(
            "/stripe/v1/charges",
            Gateway.bearer(stripe.vaultKey()),
            "amount=200&currency=usd&source=tok");
    assertThat(over.statusCode()).isEqualTo(429);
    assertThat(gw.body(over).at("/budget").asText()).isEqualTo("stripe-month/monthly");
    assertThat(gw.sendSms(twilio.vaultKey(), Gateway.US_NUMBER, "unaffected").statusCode())
        .isEqualTo(201);
    assertThat(gw.spend(twilio.id()).get("budgets")).isEmpty();
  }

  @Test
  void invalidBudgetsAreRefusedWithTheField() throws Exception {
    HttpResponse<String> r =
        gw.admin(
            "POST",
            "/budgets",
            "{\"name\":\"x\",\"selector\":{\"vendor\":\"paypal\"},\"daily_usd_cap\":1}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(gw.body(r).get("message").asText()).contains("selector");
    r = gw.admin("POST", "/budgets", "{\"name\":\"x\",\"selector\":{\"vendor\":\"stripe\"}}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(gw.body(r).get("message").asText()).contains("daily_usd_cap");
    gw.admin(
        "POST",
        "/budgets",
        "{\"name\":\"dup\",\"selector\":{\"vendor\":\"stripe\"},\"daily_usd_cap\":1}");
    assertThat(
            gw.admin(
                    "POST",
                    "/budgets",
                    "{\"name\":\"dup\",\"selector\":{\"vendor\":\"stripe\"},\"daily_usd_cap\":1}")
                .statusCode())
        .isEqualTo(409);
  }
}
