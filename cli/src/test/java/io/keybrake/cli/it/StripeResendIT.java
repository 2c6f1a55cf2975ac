package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stripe and Resend through the local gateway. */
class StripeResendIT {
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
  void stripeEndpointOutsideAllowedEndpointsIsRefused() throws Exception {
    Gateway.Key key =
        gw.createStripeKey(
            "{\"daily_usd_cap\":100,\"allowed_endpoints\":[\"payment_intents.create\"]}");
    HttpResponse<String> r =
        gw.postForm(
            "/stripe/v1/payouts", Gateway.bearer(key.vaultKey()), "amount=100&currency=usd");

    assertThat(r.statusCode()).isEqualTo(403);
    JsonNode body = gw.body(r);
    assertThat(body.get("code").asText()).isEqualTo("endpoint_not_allowed");
    assertThat(body.at("/error/code").asText()).isEqualTo("endpoint_not_allowed");
    assertThat(body.at("/error/type").asText()).isEqualTo("invalid_request_error");
    assertThat(gw.stripe.received()).isEmpty();

    HttpResponse<String> ok =
        gw.postForm(
            "/stripe/v1/payment_intents",
            Gateway.bearer(key.vaultKey()),
            "amount=500&currency=usd");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(gw.stripe.received()).hasSize(1);
    assertThat(gw.stripe.received().get(0).header("authorization"))
        .contains("Bearer " + Gateway.STRIPE_KEY);
  }

  @Test
  void zeroAndThreeDecimalCurrenciesArePricedWithTheirExponent() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":1000}");
    Currencies fx = Currencies.loadDefault();
    assertThat(fx.exponent("JPY")).isZero();
    assertThat(fx.exponent("KWD")).isEqualTo(3);

    HttpResponse<String> jpy =
        gw.postForm(
            "/stripe/v1/payment_intents",
            Gateway.bearer(key.vaultKey()),
            "amount=1000&currency=jpy");
    assertThat(jpy.statusCode()).isEqualTo(200);
    HttpResponse<String> kwd =
        gw.postForm(
            "/stripe/v1/charges",
            Gateway.bearer(key.vaultKey()),
            "amount=1500&currency=kwd&source=tok_visa");
    assertThat(kwd.statusCode()).isEqualTo(200);

    JsonNode rows = gw.audit(key.id());
    long jpyMicros = fx.toUsdMicros(1000, "JPY");
    long kwdMicros = fx.toUsdMicros(1500, "KWD");
    // 1,000 JPY is about 6-7 USD, not 10 (exponent 0); 1.500 KWD is about 4.9 USD, not 15 (exponent
    // 3)
    assertThat(jpyMicros).isBetween(4_000_000L, 10_000_000L - 1);
    assertThat(kwdMicros).isBetween(3_000_000L, 15_000_000L - 1);
    assertThat(rows)
        .extracting(r -> r.get("estimated_usd").decimalValue())
        .usingElementComparator(java.math.BigDecimal::compareTo)
        .contains(Micros.toUsd(jpyMicros), Micros.toUsd(kwdMicros));
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue())
        .isEqualByComparingTo(Micros.toUsd(jpyMicros + kwdMicros));
  }

  @Test
  void unprefixedStripePathIsRoutedByTheKeysVendor() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":100}");
    HttpResponse<String> r =
        gw.postForm(
            "/v1/payment_intents", Gateway.bearer(key.vaultKey()), "amount=200&currency=usd");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(gw.stripe.received()).hasSize(1);
  }

  @Test
  void keyOfOneVendorCannotBeUsedUnderAnothersPrefix() throws Exception {
    Gateway.Key key =
        gw.createStripeKey("{\"daily_usd_cap\":100,\"allowed_endpoints\":[\"* /v1/**\"]}");
    HttpResponse<String> r =
        gw.send(
            "/resend/v1/customers",
            Gateway.bearer(key.vaultKey()),
            "application/x-www-form-urlencoded",
            "email=a%40b.c".getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(gw.stripe.received()).isEmpty();
    assertThat(gw.resend.received()).isEmpty();
  }

  @Test
  void resendBatchIsPricedPerRecipientAndUsesTheRealApiKey() throws Exception {
    Gateway.Key key =
        gw.createResendKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"@example.com\"]}");
    String batch =
        "[{\"from\":\"a@example.com\",\"to\":[\"b@example.com\",\"c@example.com\"],\"subject\":\"s\",\"html\":\"h\"},"
            + "{\"from\":\"a@example.com\",\"to\":\"d@example.com\",\"cc\":[\"e@example.com\"],\"subject\":\"s\",\"html\":\"h\"}]";
    HttpResponse<String> r =
        gw.send(
            "/resend/emails/batch",
            Gateway.bearer(key.vaultKey()),
            "application/json",
            batch.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(gw.body(r).get("data")).hasSize(2);
    assertThat(gw.resend.received().get(0).header("authorization"))
        .contains("Bearer " + Gateway.RESEND_KEY);
    long expected = 4 * PriceTable.loadDefault().resendEmailMicros();
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue())
        .isEqualByComparingTo(Micros.toUsd(expected));

    HttpResponse<String> outside =
        gw.send(
            "/resend/emails",
            Gateway.bearer(key.vaultKey()),
            "application/json",
            "{\"from\":\"a@example.com\",\"to\":\"x@elsewhere.org\",\"subject\":\"s\",\"html\":\"h\"}"
                .getBytes(StandardCharsets.UTF_8));
    assertThat(outside.statusCode()).isEqualTo(403);
    assertThat(gw.resend.received()).hasSize(1);
  }
}
