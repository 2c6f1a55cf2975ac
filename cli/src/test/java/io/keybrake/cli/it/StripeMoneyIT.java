package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Invoice;
import com.stripe.model.PaymentIntent;
import com.stripe.model.Subscription;
import com.stripe.param.PaymentIntentCaptureParams;
import com.stripe.param.PaymentIntentConfirmParams;
import com.stripe.param.SubscriptionCreateParams;
import io.keybrake.harness.sim.RecordedRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stripe calls whose amount is not in the request (invoice pay, PaymentIntent confirm and capture,
 * subscription create) through the gateway with stripe-java: the object is looked up with the real
 * key and its amount reserved; a spent cap refuses them before Stripe is asked anything.
 */
class StripeMoneyIT {
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

  private StripeClient client(Gateway.Key key) {
    return StripeClient.builder()
        .setApiKey(key.vaultKey())
        .setApiBase("http://127.0.0.1:" + gw.app.httpPort())
        .setMaxNetworkRetries(0)
        .build();
  }

  /** Spends exactly the key's $1 cap with a 100-cent PaymentIntent. */
  private void spendTheWholeCap(StripeClient stripe, Gateway.Key key) throws Exception {
    stripe
        .paymentIntents()
        .create(
            com.stripe.param.PaymentIntentCreateParams.builder()
                .setAmount(100L)
                .setCurrency("usd")
                .build());
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo("1");
    gw.stripe.clear();
  }

  private void assertRefusedWithTheCapSpent(Gateway.Key key, Executable call) throws Exception {
    assertThatThrownBy(call::execute)
        .isInstanceOfSatisfying(
            StripeException.class,
            e -> {
              assertThat(e.getStatusCode()).isEqualTo(429);
              assertThat(e.getCode()).isEqualTo("cap_exhausted");
            });
    assertThat(gw.stripe.received()).as("Stripe is asked nothing, not even a lookup").isEmpty();
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo("1");
    assertThat(gw.spend(key.id()).get("reserved_usd").decimalValue()).isZero();
  }

  @Test
  void withTheCapSpentNoCallWhoseAmountIsLookedUpReachesStripe() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":1}");
    StripeClient stripe = client(key);
    String invoice = gw.stripe.createInvoice(5_000, "usd");
    String toConfirm = gw.stripe.createPaymentIntent(5_000, "usd", false);
    String toCapture = gw.stripe.createPaymentIntent(5_000, "usd", true);
    String price = gw.stripe.createPrice(2_000, "usd");
    spendTheWholeCap(stripe, key);

    assertRefusedWithTheCapSpent(key, () -> stripe.invoices().pay(invoice));
    assertRefusedWithTheCapSpent(
        key,
        () ->
            stripe
                .paymentIntents()
                .confirm(toConfirm, PaymentIntentConfirmParams.builder().build()));
    assertRefusedWithTheCapSpent(key, () -> stripe.paymentIntents().capture(toCapture));
    assertRefusedWithTheCapSpent(
        key,
        () ->
            stripe
                .subscriptions()
                .create(
                    SubscriptionCreateParams.builder()
                        .setCustomer("cus_1")
                        .addItem(SubscriptionCreateParams.Item.builder().setPrice(price).build())
                        .build()));

    JsonNode refused = lastRow(key);
    assertThat(refused.get("decision").asText()).isEqualTo("blocked");
    assertThat(refused.get("reason").asText()).isEqualTo("cap_exhausted");
    assertThat(refused.get("spent_usd").decimalValue())
        .as("the refusal's row records the spend at the moment of refusal")
        .isEqualByComparingTo("1");
    assertThat(gw.stripe.object(invoice).orElseThrow()).contains("\"status\":\"open\"");
  }

  @Test
  void invoicePayReservesTheLookedUpAmountDueAndSettlesAtTheAmountPaid() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":100}");
    String invoice = gw.stripe.createInvoice(4_250, "usd");

    Invoice paid = client(key).invoices().pay(invoice);

    assertThat(paid.getAmountPaid()).isEqualTo(4_250L);
    assertLookedUpWithTheRealKey("/v1/invoices/" + invoice, "/v1/invoices/" + invoice + "/pay");
    JsonNode row = lastRow(key);
    assertThat(row.get("estimated_usd").decimalValue()).isEqualByComparingTo("42.50");
    assertThat(row.get("actual_usd").decimalValue()).isEqualByComparingTo("42.50");
    assertThat(row.get("settlement").asText()).isEqualTo("settled");
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo("42.50");
  }

  @Test
  void confirmReservesTheIntentsAmountAndCaptureItsCapturableAmount() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":100}");
    StripeClient stripe = client(key);
    String toConfirm = gw.stripe.createPaymentIntent(1_500, "usd", false);

    PaymentIntent confirmed =
        stripe.paymentIntents().confirm(toConfirm, PaymentIntentConfirmParams.builder().build());

    assertThat(confirmed.getStatus()).isEqualTo("succeeded");
    assertLookedUpWithTheRealKey(
        "/v1/payment_intents/" + toConfirm, "/v1/payment_intents/" + toConfirm + "/confirm");
    assertThat(lastRow(key).get("estimated_usd").decimalValue()).isEqualByComparingTo("15");

    gw.stripe.clear();
    String toCapture = gw.stripe.createPaymentIntent(3_000, "usd", true);
    PaymentIntent captured =
        stripe
            .paymentIntents()
            .capture(
                toCapture, PaymentIntentCaptureParams.builder().setAmountToCapture(1_200L).build());

    assertThat(captured.getAmountReceived()).isEqualTo(1_200L);
    assertLookedUpWithTheRealKey(
        "/v1/payment_intents/" + toCapture, "/v1/payment_intents/" + toCapture + "/capture");
    JsonNode row = lastRow(key);
    assertThat(row.get("estimated_usd").decimalValue())
        .as("the reservation is the looked-up amount_capturable")
        .isEqualByComparingTo("30");
    assertThat(row.get("actual_usd").decimalValue())
        .as("settlement uses the response's amount_received")
        .isEqualByComparingTo("12");
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isEqualByComparingTo("27");
  }

  @Test
  void subscriptionReservesPriceTimesQuantityLookedUpWithTheRealKey() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":100}");
    String price = gw.stripe.createPrice(1_250, "usd");

    Subscription sub =
        client(key)
            .subscriptions()
            .create(
                SubscriptionCreateParams.builder()
                    .setCustomer("cus_1")
                    .addItem(
                        SubscriptionCreateParams.Item.builder()
                            .setPrice(price)
                            .setQuantity(3L)
                            .build())
                    .build());

    assertThat(sub.getStatus()).isEqualTo("active");
    assertLookedUpWithTheRealKey("/v1/prices/" + price, "/v1/subscriptions");
    JsonNode row = lastRow(key);
    assertThat(row.get("estimated_usd").decimalValue()).isEqualByComparingTo("37.50");
    assertThat(row.get("settlement").asText())
        .as("latest_invoice is not expanded: the reservation is kept")
        .isEqualTo("estimated");
  }

  @Test
  void aCallAboveMaxCallUsdIsRefusedWhateverTheCap() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":1000,\"max_call_usd\":40}");
    String invoice = gw.stripe.createInvoice(4_250, "usd");
    gw.stripe.clear();

    assertThatThrownBy(() -> client(key).invoices().pay(invoice))
        .isInstanceOfSatisfying(
            StripeException.class,
            e -> {
              assertThat(e.getStatusCode()).isEqualTo(403);
              assertThat(e.getCode()).isEqualTo("max_call_exceeded");
            });
    assertThat(gw.stripe.received())
        .extracting(RecordedRequest::method)
        .as("only the lookup reached Stripe")
        .containsExactly("GET");
    assertThat(gw.spend(key.id()).get("spent_usd").decimalValue()).isZero();
    assertThat(gw.spend(key.id()).get("reserved_usd").decimalValue()).isZero();
  }

  @Test
  void theDocumentedJsonAgentGets200ThenCapExhausted() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":1}");
    byte[] json =
        "{\"amount\":60,\"currency\":\"usd\",\"customer\":\"cus_123\"}"
            .getBytes(StandardCharsets.UTF_8);

    HttpResponse<String> first =
        gw.send(
            "/stripe/v1/payment_intents", Gateway.bearer(key.vaultKey()), "application/json", json);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(gw.body(first).get("amount").asLong()).isEqualTo(60);
    RecordedRequest got = gw.stripe.received().get(0);
    assertThat(got.bodyText()).isEqualTo("amount=60&currency=usd&customer=cus_123");
    assertThat(got.header("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/x-www-form-urlencoded"));

    HttpResponse<String> retry =
        gw.send(
            "/stripe/v1/payment_intents", Gateway.bearer(key.vaultKey()), "application/json", json);
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.headers().firstValue("x-keybrake-dedup")).hasValue("replay");
    JsonNode replayed = lastRow(key);
    assertThat(replayed.get("decision").asText()).isEqualTo("replayed");
    assertThat(replayed.get("spent_usd").decimalValue())
        .as("a replayed row records the key's spend at that moment")
        .isEqualByComparingTo("0.60");

    // the next customer (the same body again within the dedup window is a replay)
    byte[] next =
        "{\"amount\":60,\"currency\":\"usd\",\"customer\":\"cus_456\"}"
            .getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> second =
        gw.send(
            "/stripe/v1/payment_intents", Gateway.bearer(key.vaultKey()), "application/json", next);

    assertThat(second.statusCode()).isEqualTo(429);
    JsonNode body = gw.body(second);
    assertThat(body.get("code").asText()).isEqualTo("cap_exhausted");
    assertThat(body.get("spent_usd").decimalValue()).isEqualByComparingTo("0.60");
    assertThat(body.get("cap_usd").decimalValue()).isEqualByComparingTo("1");
    assertThat(gw.stripe.received()).hasSize(1);
    assertThat(lastRow(key).get("spent_usd").decimalValue()).isEqualByComparingTo("0.60");
  }

  @Test
  void aForwardThatNeverLeftTheMachineReleasesItsReservation() throws Exception {
    Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":10}");
    gw.stripe.close(); // connection refused: nothing can be sent

    HttpResponse<String> r =
        gw.postForm(
            "/stripe/v1/payment_intents",
            Gateway.bearer(key.vaultKey()),
            "amount=500&currency=usd");

    assertThat(r.statusCode()).isEqualTo(502);
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue()).isZero();
    assertThat(spend.get("reserved_usd").decimalValue()).isZero();
    assertThat(lastRow(key).get("settlement").asText()).isEqualTo("released");
  }

  /** Stripe saw the lookup (GET, real key) and then the call (POST), nothing else. */
  private void assertLookedUpWithTheRealKey(String lookupPath, String callPath) {
    List<RecordedRequest> got = gw.stripe.received();
    assertThat(got).extracting(RecordedRequest::method).containsExactly("GET", "POST");
    assertThat(got).extracting(RecordedRequest::path).containsExactly(lookupPath, callPath);
    assertThat(got)
        .allSatisfy(
            r -> assertThat(r.header("authorization")).hasValue("Bearer " + Gateway.STRIPE_KEY));
  }

  private JsonNode lastRow(Gateway.Key key) throws Exception {
    JsonNode rows = gw.audit(key.id());
    JsonNode last = rows.get(0);
    for (JsonNode r : rows) {
      if (r.get("seq").asLong() > last.get("seq").asLong()) {
        last = r;
      }
    }
    return last;
  }
}
