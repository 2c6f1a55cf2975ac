package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile amounts, currencies, JSON shapes and unboundable Stripe calls through the gateway. Each
 * case states its refusal; every one must leave Stripe without a money-moving call (at most the one
 * lookup the case allows) and the key's spend untouched.
 */
class HostileMoneyIT {
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String JSON = "application/json";

  @TempDir static Path dir;
  static Gateway gw;
  static Gateway.Key key;
  static String bigInvoice;
  static String price;
  static String meteredPrice;
  static String tieredPrice;

  @BeforeAll
  static void start() throws Exception {
    gw = new Gateway(dir);
    key = gw.createStripeKey("{\"daily_usd_cap\":5,\"max_call_usd\":3}");
    bigInvoice = gw.stripe.createInvoice(1_000, "usd");
    price = gw.stripe.createPrice(2_000, "usd");
    meteredPrice =
        createPrice(
            "currency=usd&unit_amount=5&recurring[interval]=month&recurring[usage_type]=metered");
    tieredPrice = createPrice("currency=usd&billing_scheme=tiered&recurring[interval]=month");
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @BeforeEach
  void forget() {
    gw.stripe.clear();
  }

  /** Creates a price straight at the simulator, with the real key (setup, not through Keybrake). */
  private static String createPrice(String form) throws Exception {
    HttpResponse<String> r =
        gw.http.send(
            HttpRequest.newBuilder(URI.create(gw.stripe.baseUri() + "/v1/prices"))
                .header("Authorization", "Bearer " + Gateway.STRIPE_KEY)
                .header("Content-Type", FORM)
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return gw.json.readTree(r.body()).get("id").asText();
  }

  /** One hostile call: where, how, what, the refusal it gets and the lookups it may cause. */
  record Case(
      String name,
      String path,
      String contentType,
      String body,
      int status,
      String code,
      int lookups) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Arguments form(String name, String path, String body, int status, String code) {
    return Arguments.of(new Case(name, path, FORM, body, status, code, 0));
  }

  private static Arguments json(String name, String body, int status, String code) {
    return Arguments.of(new Case(name, "/v1/payment_intents", JSON, body, status, code, 0));
  }

  private static Arguments looked(String name, String path, String body, int status, String code) {
    return Arguments.of(new Case(name, path, FORM, body, status, code, 1));
  }

  static Stream<Arguments> cases() {
    String pi = "/v1/payment_intents";
    String u = "unreadable_request";
    return Stream.of(
        // amounts
        form("negative amount", pi, "amount=-100&currency=usd", 400, u),
        form("decimal amount", pi, "amount=1.50&currency=usd", 400, u),
        form("exponent amount", pi, "amount=1e3&currency=usd", 400, u),
        form("empty amount", pi, "amount=&currency=usd", 400, u),
        form("word amount", pi, "amount=abc&currency=usd", 400, u),
        form("hex amount", pi, "amount=0x10&currency=usd", 400, u),
        form("19-digit amount", pi, "amount=1234567890123456789&currency=usd", 400, u),
        form("plus-signed amount", pi, "amount=%2B100&currency=usd", 400, u),
        form("space before amount", pi, "amount=+100&currency=usd", 400, u),
        form("NUL in amount", pi, "amount=100%00&currency=usd", 400, u),
        form("two amounts", pi, "amount=100&amount=100&currency=usd", 400, u),
        form("amount and AMOUNT", pi, "amount=100&AMOUNT=1&currency=usd", 400, u),
        form("missing amount", pi, "currency=usd", 400, u),
        form("unicode digits", pi, "amount=%D9%A1%D9%A0%D9%A0&currency=usd", 400, u),
        form("charge negative", "/v1/charges", "amount=-1&currency=usd&source=tok_visa", 400, u),
        form("payout decimal", "/v1/payouts", "amount=1.0&currency=usd", 400, u),
        form("transfer without amount", "/v1/transfers", "currency=usd&destination=acct_1", 400, u),
        looked(
            "refund of an unknown charge",
            "/v1/refunds",
            "charge=ch_1&amount=100",
            502,
            "cost_lookup_failed"),
        form("refund naming no charge", "/v1/refunds", "amount=100", 400, u),
        form("refund naming two objects", "/v1/refunds", "charge=ch_1&payment_intent=pi_1", 400, u),
        form("topup word", "/v1/topups", "amount=ten&currency=usd", 400, u),
        form(
            "invoice item without currency",
            "/v1/invoiceitems",
            "customer=cus_1&amount=100",
            400,
            u),
        // currencies
        form("missing currency", pi, "amount=100", 400, u),
        form("unknown currency", pi, "amount=100&currency=xyz", 400, u),
        form("empty currency", pi, "amount=100&currency=", 400, u),
        form("two currencies", pi, "amount=100&currency=usd&currency=jpy", 400, u),
        form("spaced currency", pi, "amount=100&currency=US%20D", 400, u),
        form("currency and Currency", pi, "amount=100&currency=usd&Currency=jpy", 400, u),
        form("over max_call in usd", pi, "amount=400&currency=usd", 403, "max_call_exceeded"),
        form("over max_call in eur", pi, "amount=1000&currency=eur", 403, "max_call_exceeded"),
        form("three-decimal kwd", pi, "amount=1000&currency=kwd", 403, "max_call_exceeded"),
        form("zero-decimal jpy", pi, "amount=100000&currency=jpy", 403, "max_call_exceeded"),
        form("amount in the query", pi + "?amount=100000", "amount=100&currency=usd", 400, u),
        // JSON shapes
        json("duplicate JSON keys", "{\"amount\":100,\"amount\":100,\"currency\":\"usd\"}", 400, u),
        json("NaN amount", "{\"amount\":NaN,\"currency\":\"usd\"}", 400, u),
        json("Infinity amount", "{\"amount\":Infinity,\"currency\":\"usd\"}", 400, u),
        json("null amount", "{\"amount\":null,\"currency\":\"usd\"}", 400, u),
        json("null currency", "{\"amount\":100,\"currency\":null}", 400, u),
        json("null customer", "{\"amount\":100,\"currency\":\"usd\",\"customer\":null}", 400, u),
        json("decimal JSON amount", "{\"amount\":1.5,\"currency\":\"usd\"}", 400, u),
        json("negative JSON amount", "{\"amount\":-100,\"currency\":\"usd\"}", 400, u),
        json("array amount", "{\"amount\":[100],\"currency\":\"usd\"}", 400, u),
        json("object amount", "{\"amount\":{\"value\":100},\"currency\":\"usd\"}", 400, u),
        json("boolean amount", "{\"amount\":true,\"currency\":\"usd\"}", 400, u),
        json("huge exponent", "{\"amount\":1e400,\"currency\":\"usd\"}", 400, u),
        json("top-level array", "[{\"amount\":100,\"currency\":\"usd\"}]", 400, u),
        json("empty metadata", "{\"amount\":100,\"currency\":\"usd\",\"metadata\":{}}", 400, u),
        json("bracketed key", "{\"amount[]\":100,\"currency\":\"usd\"}", 400, u),
        json("trailing garbage", "{\"amount\":100,\"currency\":\"usd\"}x", 400, u),
        json("trailing comma", "{\"amount\":100,\"currency\":\"usd\",}", 400, u),
        json("single quotes", "{'amount':100,'currency':'usd'}", 400, u),
        json(
            "over max_call as JSON",
            "{\"amount\":400,\"currency\":\"usd\"}",
            403,
            "max_call_exceeded"),
        Arguments.of(
            new Case("JSON as text/plain", pi, "text/plain", "{\"amount\":100}", 400, u, 0)),
        // amounts that are not in the request
        looked(
            "invoice over max_call", "/v1/invoices/" + "%s" + "/pay", "", 403, "max_call_exceeded"),
        looked("unknown invoice", "/v1/invoices/in_missing/pay", "", 502, "cost_lookup_failed"),
        looked(
            "unknown intent",
            "/v1/payment_intents/pi_missing/confirm",
            "",
            502,
            "cost_lookup_failed"),
        looked("unknown charge", "/v1/charges/ch_missing/capture", "", 502, "cost_lookup_failed"),
        form("invoice id with a dot", "/v1/invoices/in.x/pay", "", 400, u),
        looked(
            "metered subscription",
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=metered",
            403,
            "cost_unbounded"),
        looked(
            "tiered subscription",
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=tiered",
            403,
            "cost_unbounded"),
        looked(
            "unknown price",
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=price_missing",
            502,
            "cost_lookup_failed"),
        looked(
            "subscription over max_call",
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=licensed",
            403,
            "max_call_exceeded"),
        form(
            "subscription without items",
            "/v1/subscriptions",
            "customer=cus_1",
            403,
            "cost_unbounded"),
        form(
            "negative quantity",
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=licensed&items[0][quantity]=-1",
            400,
            u),
        form(
            "subscription price id with a slash",
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=..%2Fcustomers",
            400,
            u),
        form(
            "invoice item without price",
            "/v1/invoiceitems",
            "customer=cus_1",
            403,
            "cost_unbounded"),
        form(
            "subscription item change",
            "/v1/subscriptions/sub_1",
            "items[0][id]=si_1&items[0][quantity]=50",
            403,
            "cost_unbounded"),
        form(
            "subscription proration",
            "/v1/subscriptions/sub_1",
            "proration_behavior=always_invoice",
            403,
            "cost_unbounded"),
        form("checkout session", "/v1/checkout/sessions", "mode=payment", 403, "cost_unbounded"),
        form("payment link", "/v1/payment_links", "line_items[0][price]=p", 403, "cost_unbounded"),
        form(
            "increment authorization",
            "/v1/payment_intents/pi_1/increment_authorization",
            "amount=100000",
            403,
            "cost_unbounded"),
        form("credit note", "/v1/credit_notes", "invoice=in_1", 403, "cost_unbounded"),
        form("legacy refund", "/v1/charges/ch_1/refunds", "amount=100", 403, "cost_unbounded"),
        form(
            "subscription item",
            "/v1/subscription_items",
            "subscription=sub_1&price=p",
            403,
            "cost_unbounded"),
        form("quote accept", "/v1/quotes/qt_1/accept", "", 403, "cost_unbounded"),
        form(
            "transfer reversal",
            "/v1/transfers/tr_1/reversals",
            "amount=100",
            403,
            "cost_unbounded"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("cases")
  void refusedWithoutMovingMoney(Case c) throws Exception {
    String path = c.path().replace("%s", bigInvoice);
    String body =
        c.body()
            .replace("=metered", "=" + meteredPrice)
            .replace("=tiered", "=" + tieredPrice)
            .replace("=licensed", "=" + price);
    HttpResponse<String> r =
        gw.send(
            "/stripe" + path,
            Gateway.bearer(key.vaultKey()),
            c.contentType(),
            body.getBytes(StandardCharsets.UTF_8));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(c.status());
    JsonNode answer = gw.body(r);
    assertThat(answer.get("code").asText()).isEqualTo(c.code());
    assertThat(answer.at("/error/code").asText()).isEqualTo(c.code());
    assertThat(answer.get("message").asText()).isNotBlank().doesNotContain(Gateway.STRIPE_KEY);
    assertThat(gw.stripe.received())
        .as("nothing but the case's lookups (GET, real key) reached Stripe")
        .hasSize(c.lookups())
        .allSatisfy(
            got -> {
              assertThat(got.method()).isEqualTo("GET");
              assertThat(got.header("authorization")).hasValue("Bearer " + Gateway.STRIPE_KEY);
            });
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("spent_usd").decimalValue()).isZero();
    assertThat(spend.get("reserved_usd").decimalValue()).isZero();
  }
}
