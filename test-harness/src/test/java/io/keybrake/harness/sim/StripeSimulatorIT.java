package io.keybrake.harness.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.model.Balance;
import com.stripe.model.PaymentIntent;
import com.stripe.model.Refund;
import com.stripe.param.PaymentIntentCreateParams;
import com.stripe.param.RefundCreateParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StripeSimulatorIT {
  private static final String KEY = "sk_test_51RealSecretKey0000abcd";
  private static final String AUTH = "Bearer " + KEY;
  private StripeSimulator stripe;

  @BeforeEach
  void start() {
    stripe = new StripeSimulator(KEY).start();
  }

  @AfterEach
  void stop() {
    stripe.close();
  }

  private JsonNode post(String path, String form) throws Exception {
    Http.Reply r = Http.form(stripe.baseUri(), path, AUTH, form);
    assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
    assertThat(r.raw().headers().firstValue("Request-Id"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("req_"));
    return r.json();
  }

  @Test
  void paymentIntentIsCreatedConfirmedAndCaptured() throws Exception {
    JsonNode pi =
        post(
            "/v1/payment_intents",
            "amount=2000&currency=usd&capture_method=manual&payment_method=pm_card_visa"
                + "&metadata%5Border%5D=42");
    assertThat(pi.get("id").asText()).startsWith("pi_");
    assertThat(pi.get("object").asText()).isEqualTo("payment_intent");
    assertThat(pi.get("amount").asLong()).isEqualTo(2000);
    assertThat(pi.get("currency").asText()).isEqualTo("usd");
    assertThat(pi.get("status").asText()).isEqualTo("requires_confirmation");
    assertThat(pi.get("metadata").get("order").asText()).isEqualTo("42");

    String id = pi.get("id").asText();
    JsonNode confirmed = post("/v1/payment_intents/" + id + "/confirm", "");
    assertThat(confirmed.get("status").asText()).isEqualTo("requires_capture");
    assertThat(confirmed.get("latest_charge").asText()).startsWith("ch_");

    JsonNode captured = post("/v1/payment_intents/" + id + "/capture", "amount_to_capture=1500");
    assertThat(captured.get("status").asText()).isEqualTo("succeeded");
    assertThat(captured.get("amount_received").asLong()).isEqualTo(1500);
  }

  @Test
  void moneyMovingCreatesReturnTheirDocumentedObjects() throws Exception {
    JsonNode charge = post("/v1/charges", "amount=500&currency=eur&source=tok_visa");
    assertThat(charge.get("id").asText()).startsWith("ch_");
    assertThat(charge.get("object").asText()).isEqualTo("charge");
    assertThat(charge.get("status").asText()).isEqualTo("succeeded");
    assertThat(charge.get("currency").asText()).isEqualTo("eur");

    JsonNode refund = post("/v1/refunds", "charge=" + charge.get("id").asText());
    assertThat(refund.get("id").asText()).startsWith("re_");
    assertThat(refund.get("object").asText()).isEqualTo("refund");
    assertThat(refund.get("amount").asLong()).isEqualTo(500);
    assertThat(refund.get("status").asText()).isEqualTo("succeeded");

    JsonNode payout = post("/v1/payouts", "amount=1000&currency=usd");
    assertThat(payout.get("id").asText()).startsWith("po_");
    assertThat(payout.get("status").asText()).isEqualTo("pending");

    JsonNode transfer = post("/v1/transfers", "amount=700&currency=usd&destination=acct_1");
    assertThat(transfer.get("id").asText()).startsWith("tr_");
    assertThat(transfer.get("object").asText()).isEqualTo("transfer");
    assertThat(transfer.get("destination").asText()).isEqualTo("acct_1");

    String invoice = stripe.createInvoice(12_345, "jpy");
    JsonNode paid = post("/v1/invoices/" + invoice + "/pay", "");
    assertThat(paid.get("id").asText()).startsWith("in_");
    assertThat(paid.get("status").asText()).isEqualTo("paid");
    assertThat(paid.get("amount_paid").asLong()).isEqualTo(12_345);

    assertThat(Http.get(stripe.baseUri(), "/v1/customers", AUTH).json().get("object").asText())
        .isEqualTo("list");
    assertThat(Http.get(stripe.baseUri(), "/v1/balance", AUTH).json().get("object").asText())
        .isEqualTo("balance");
    assertThat(stripe.received()).hasSize(7);
  }

  @Test
  void missingAmountIsAnInvalidRequestOnAmount() throws Exception {
    Http.Reply r = Http.form(stripe.baseUri(), "/v1/charges", AUTH, "currency=usd");

    assertThat(r.status()).isEqualTo(400);
    JsonNode error = r.json().get("error");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("code").asText()).isEqualTo("parameter_missing");
    assertThat(error.get("param").asText()).isEqualTo("amount");
  }

  @Test
  void wrongKeyIsRefusedWithAMaskedKeyAndBasicUserIsAccepted() throws Exception {
    Http.Reply wrong = Http.get(stripe.baseUri(), "/v1/balance", "Bearer sk_test_vaultkeyzzzz9876");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(wrong.json().get("error").get("message").asText())
        .isEqualTo("Invalid API Key provided: sk_test_************9876");

    Http.Reply basic = Http.get(stripe.baseUri(), "/v1/balance", Http.basic(KEY, ""));
    assertThat(basic.status()).isEqualTo(200);
  }

  @Test
  void repeatedIdempotencyKeyIsReplayed() throws Exception {
    java.net.http.HttpRequest request =
        java.net.http.HttpRequest.newBuilder(stripe.baseUri().resolve("/v1/payouts"))
            .header("Authorization", AUTH)
            .header("Idempotency-Key", "k-1")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("amount=1&currency=usd"))
            .build();
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    var first = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    var second = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());

    assertThat(second.body()).isEqualTo(first.body());
    assertThat(second.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
  }

  @Test
  void stripeJavaWorksAgainstTheSimulator() throws Exception {
    StripeClient client =
        StripeClient.builder().setApiKey(KEY).setApiBase(stripe.baseUri().toString()).build();

    PaymentIntent pi =
        client
            .v1()
            .paymentIntents()
            .create(
                PaymentIntentCreateParams.builder()
                    .setAmount(2500L)
                    .setCurrency("usd")
                    .setPaymentMethod("pm_card_visa")
                    .setConfirm(true)
                    .putMetadata("run", "r1")
                    .build());
    assertThat(pi.getId()).startsWith("pi_");
    assertThat(pi.getAmount()).isEqualTo(2500L);
    assertThat(pi.getStatus()).isEqualTo("succeeded");
    assertThat(pi.getMetadata()).containsEntry("run", "r1");

    Refund refund =
        client
            .v1()
            .refunds()
            .create(
                RefundCreateParams.builder().setPaymentIntent(pi.getId()).setAmount(1000L).build());
    assertThat(refund.getAmount()).isEqualTo(1000L);
    assertThat(refund.getCharge()).isEqualTo(pi.getLatestCharge());

    Balance balance = client.v1().balance().retrieve();
    assertThat(balance.getAvailable()).hasSize(1);

    RecordedRequest seen = stripe.received().get(0);
    assertThat(seen.header("Authorization")).contains(AUTH);
    assertThat(seen.form().first("metadata[run]")).contains("r1");

    InvalidRequestException missing =
        org.junit.jupiter.api.Assertions.assertThrows(
            InvalidRequestException.class,
            () ->
                client
                    .v1()
                    .paymentIntents()
                    .create(PaymentIntentCreateParams.builder().setCurrency("usd").build()));
    assertThat(missing.getParam()).isEqualTo("amount");
    assertThat(missing.getStatusCode()).isEqualTo(400);

    StripeClient wrong =
        StripeClient.builder()
            .setApiKey("sk_test_vaultkeyzzzz9876")
            .setApiBase(stripe.baseUri().toString())
            .build();
    assertThatThrownBy(() -> wrong.v1().balance().retrieve())
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("Invalid API Key provided");
  }

  @Test
  void billingObjectsHaveTheirDocumentedShapes() throws Exception {
    JsonNode price =
        post("/v1/prices", "unit_amount=1250&currency=usd&recurring%5Binterval%5D=month");
    assertThat(price.get("id").asText()).startsWith("price_");
    assertThat(price.get("object").asText()).isEqualTo("price");
    assertThat(price.get("unit_amount").asLong()).isEqualTo(1250);
    assertThat(price.at("/recurring/usage_type").asText()).isEqualTo("licensed");
    String priceId = price.get("id").asText();

    JsonNode sub =
        post(
            "/v1/subscriptions",
            "customer=cus_1&items%5B0%5D%5Bprice%5D=" + priceId + "&items%5B0%5D%5Bquantity%5D=2");
    assertThat(sub.get("id").asText()).startsWith("sub_");
    assertThat(sub.get("object").asText()).isEqualTo("subscription");
    assertThat(sub.get("status").asText()).isEqualTo("active");
    assertThat(sub.at("/items/data/0/price/id").asText()).isEqualTo(priceId);
    assertThat(sub.at("/items/data/0/quantity").asLong()).isEqualTo(2);
    JsonNode firstInvoice =
        Http.get(stripe.baseUri(), "/v1/invoices/" + sub.get("latest_invoice").asText(), AUTH)
            .json();
    assertThat(firstInvoice.get("amount_paid").asLong()).isEqualTo(2500);
    assertThat(firstInvoice.get("status").asText()).isEqualTo("paid");

    JsonNode list = Http.get(stripe.baseUri(), "/v1/subscriptions?customer=cus_1", AUTH).json();
    assertThat(list.get("object").asText()).isEqualTo("list");
    assertThat(list.get("data")).hasSize(1);
    assertThat(
            Http.get(stripe.baseUri(), "/v1/subscriptions?customer=cus_2", AUTH).json().get("data"))
        .isEmpty();

    JsonNode draft = post("/v1/invoices", "customer=cus_1");
    assertThat(draft.get("status").asText()).isEqualTo("draft");
    assertThat(draft.get("amount_due").asLong()).isZero();
    String invoice = draft.get("id").asText();
    JsonNode item =
        post("/v1/invoiceitems", "customer=cus_1&amount=700&currency=usd&invoice=" + invoice);
    assertThat(item.get("object").asText()).isEqualTo("invoiceitem");
    assertThat(item.get("invoice").asText()).isEqualTo(invoice);
    JsonNode open = post("/v1/invoices/" + invoice + "/finalize", "");
    assertThat(open.get("status").asText()).isEqualTo("open");
    assertThat(open.get("amount_due").asLong()).isEqualTo(700);
    JsonNode paid = post("/v1/invoices/" + invoice + "/pay", "");
    assertThat(paid.get("amount_paid").asLong()).isEqualTo(700);

    JsonNode portal =
        post("/v1/billing_portal/sessions", "customer=cus_1&return_url=https%3A%2F%2Fx.test");
    assertThat(portal.get("object").asText()).isEqualTo("billing_portal.session");
    assertThat(portal.get("url").asText()).startsWith("https://billing.stripe.com/");
  }
}
