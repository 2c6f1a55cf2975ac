package io.keybrake.core.cost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.TestPolicies;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.request.JsonBody;
import io.keybrake.core.vendor.EndpointMatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Stripe calls bounded by a vendor object read first, and the ones that cannot be bounded. */
class StripeLookupCostsTest {
  private static final Currencies FX = Currencies.loadDefault();
  private final CostEstimator estimator = new CostEstimator(PriceTable.loadDefault(), FX);

  /** Vendor objects by path; records every path read. */
  static final class Objects implements VendorObjects {
    final Map<String, String> byPath = new HashMap<>();
    final List<String> read = new ArrayList<>();

    Objects with(String path, String json) {
      byPath.put(path, json);
      return this;
    }

    @Override
    public JsonNode get(String path) throws RequestRejected {
      read.add(path);
      String json = byPath.get(path);
      if (json == null) {
        throw new RequestRejected(RefusalCode.COST_LOOKUP_FAILED, "no such object");
      }
      return JsonBody.parse(json.getBytes(UTF_8));
    }
  }

  private CallEstimate estimate(String path, String body, Objects objects) throws RequestRejected {
    return estimator.estimate(
        CostEstimatorTest.match("stripe", "POST", path),
        body.getBytes(UTF_8),
        TestPolicies.open(),
        objects);
  }

  @Test
  void invoicePayReservesTheLookedUpAmountDue() throws RequestRejected {
    Objects o =
        new Objects()
            .with(
                "/v1/invoices/in_1", "{\"id\":\"in_1\",\"amount_due\":4250,\"currency\":\"usd\"}");
    CallEstimate e = estimate("/v1/invoices/in_1/pay", "", o);

    assertThat(e.micros()).isEqualTo(42_500_000L);
    assertThat(o.read).containsExactly("/v1/invoices/in_1");
    assertThat(e.detail()).contains("amount_due").contains("looked up");
  }

  @Test
  void confirmReservesTheAmountAndCaptureTheCapturableAmount() throws RequestRejected {
    Objects o =
        new Objects()
            .with(
                "/v1/payment_intents/pi_1",
                "{\"amount\":1000,\"amount_capturable\":700,\"currency\":\"jpy\"}");
    assertThat(
            estimate("/v1/payment_intents/pi_1/confirm", "payment_method=pm_card_visa", o).micros())
        .isEqualTo(FX.toUsdMicros(1000, "jpy"));
    assertThat(estimate("/v1/payment_intents/pi_1/capture", "", o).micros())
        .isEqualTo(FX.toUsdMicros(700, "jpy"));
  }

  @Test
  void chargeCaptureAndInvoiceFinalizeAreLookedUpToo() throws RequestRejected {
    Objects o =
        new Objects()
            .with("/v1/charges/ch_1", "{\"amount\":300,\"currency\":\"usd\"}")
            .with("/v1/invoices/in_2", "{\"amount_due\":900,\"currency\":\"usd\"}");
    assertThat(estimate("/v1/charges/ch_1/capture", "", o).micros()).isEqualTo(3_000_000L);
    assertThat(estimate("/v1/invoices/in_2/finalize", "", o).micros()).isEqualTo(9_000_000L);
  }

  @Test
  void aZeroAmountStillReservesTheMinimumSoASpentCapRefusesIt() throws RequestRejected {
    Objects o = new Objects().with("/v1/invoices/in_0", "{\"amount_due\":0,\"currency\":\"usd\"}");
    assertThat(estimate("/v1/invoices/in_0/pay", "", o).micros())
        .isEqualTo(CostEstimator.MIN_MONEY_MOVING_MICROS);
  }

  @Test
  void subscriptionIsPriceTimesQuantityOfEveryItemWithPricesLookedUp() throws RequestRejected {
    Objects o =
        new Objects()
            .with(
                "/v1/prices/price_a",
                "{\"unit_amount\":1500,\"currency\":\"usd\",\"billing_scheme\":\"per_unit\","
                    + "\"recurring\":{\"usage_type\":\"licensed\"}}")
            .with("/v1/prices/price_b", "{\"unit_amount_decimal\":\"99.5\",\"currency\":\"usd\"}");
    CallEstimate e =
        estimate(
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=price_a&items[0][quantity]=3"
                + "&items[1][price]=price_b"
                + "&add_invoice_items[0][price_data][currency]=usd"
                + "&add_invoice_items[0][price_data][unit_amount]=500&add_invoice_items[0][quantity]=2",
            o);
    // 1500 x 3 + 100 (99.5 rounded up) + 500 x 2 = 5600 cents
    assertThat(e.micros()).isEqualTo(56_000_000L);
    assertThat(o.read).containsExactlyInAnyOrder("/v1/prices/price_a", "/v1/prices/price_b");
  }

  @Test
  void taxDoublesTheBound() throws RequestRejected {
    Objects o = new Objects().with("/v1/prices/p", "{\"unit_amount\":1000,\"currency\":\"usd\"}");
    assertThat(
            estimate("/v1/subscriptions", "items[0][price]=p&automatic_tax[enabled]=true", o)
                .micros())
        .isEqualTo(20_000_000L);
    assertThat(
            estimate("/v1/subscriptions", "items[0][price]=p&items[0][tax_rates][0]=txr_1", o)
                .micros())
        .isEqualTo(20_000_000L);
  }

  @Test
  void invoiceItemIsItsAmountOrPriceTimesQuantity() throws RequestRejected {
    Objects o = new Objects().with("/v1/prices/p", "{\"unit_amount\":250,\"currency\":\"eur\"}");
    assertThat(estimate("/v1/invoiceitems", "customer=cus_1&amount=1999&currency=usd", o).micros())
        .isEqualTo(19_990_000L);
    assertThat(estimate("/v1/invoiceitems", "customer=cus_1&price=p&quantity=4", o).micros())
        .isEqualTo(FX.toUsdMicros(1000, "eur"));
    // a credit moves no money out, but still reserves the minimum
    assertThat(estimate("/v1/invoiceitems", "customer=cus_1&amount=-500&currency=usd", o).micros())
        .isEqualTo(CostEstimator.MIN_MONEY_MOVING_MICROS);
  }

  @Test
  void subscriptionUpdateIsFreeOnlyWhenItChangesNothingBilled() throws RequestRejected {
    Objects none = new Objects();
    assertThat(
            estimate("/v1/subscriptions/sub_1", "cancel_at_period_end=true&metadata[a]=b", none)
                .micros())
        .isZero();
    assertThatThrownBy(
            () ->
                estimate("/v1/subscriptions/sub_1", "items[0][id]=si_1&items[0][quantity]=9", none))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.COST_UNBOUNDED))
        .hasMessageContaining("'items'");
  }

  @Test
  void refundIsBoundedByTheRefundableAmountLookedUp() throws RequestRejected {
    Objects o =
        new Objects()
            .with(
                "/v1/charges/ch_1",
                "{\"amount\":5000,\"amount_refunded\":1500,\"currency\":\"usd\"}")
            .with(
                "/v1/payment_intents/pi_1",
                "{\"amount\":900,\"amount_received\":900,\"currency\":\"eur\"}");
    assertThat(estimate("/v1/refunds", "charge=ch_1", o).micros()).isEqualTo(35_000_000L);
    assertThat(estimate("/v1/refunds", "charge=ch_1&amount=200", o).micros())
        .as("a given amount is the bound, in the charge's currency")
        .isEqualTo(2_000_000L);
    assertThat(estimate("/v1/refunds", "payment_intent=pi_1", o).micros())
        .isEqualTo(FX.toUsdMicros(900, "eur"));
    assertThatThrownBy(() -> estimate("/v1/refunds", "charge=ch_1&payment_intent=pi_1", o))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
    assertThatThrownBy(() -> estimate("/v1/refunds", "amount=100", o))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
  }

  @Test
  void cancellingIsFreeUnlessItInvoicesNow() throws RequestRejected {
    EndpointMatch cancel = CostEstimatorTest.match("stripe", "DELETE", "/v1/subscriptions/sub_1");
    assertThat(estimator.estimate(cancel, new byte[0], TestPolicies.open(), new Objects()).micros())
        .isZero();
    assertThatThrownBy(
            () ->
                estimator.estimate(
                    cancel, "invoice_now=true".getBytes(UTF_8), TestPolicies.open(), new Objects()))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.COST_UNBOUNDED));
  }

  static Stream<Arguments> refused() {
    String price = "/v1/prices/p";
    return Stream.of(
        // path, body, object path, object json, expected code
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"amount_due\":\"100\",\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"amount_due\":-5,\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"amount_due\":1.5,\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"amount_due\":100}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"amount_due\":100,\"currency\":\"xxx\"}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/in_1",
            "{\"amount_due\":99999999999999999999,\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/invoices/in_1/pay",
            "",
            "/v1/invoices/other",
            "{}",
            RefusalCode.COST_LOOKUP_FAILED),
        Arguments.of(
            "/v1/invoices/in%2F..%2F1/pay",
            "", "/v1/invoices/x", "{}", RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/payment_intents/pi_1/capture",
            "",
            "/v1/payment_intents/pi_1",
            "{\"amount\":5,\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions", "customer=cus_1", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions", "items[0][quantity]=2", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p",
            price,
            "{\"billing_scheme\":\"tiered\",\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p",
            price,
            "{\"unit_amount\":5,\"currency\":\"usd\",\"recurring\":{\"usage_type\":\"metered\"}}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p",
            price,
            "{\"unit_amount\":null,\"currency\":\"usd\"}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p&items[0][quantity]=-1",
            price,
            "{\"unit_amount\":5,\"currency\":\"usd\"}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p&items[0][quantity]=1.5",
            price,
            "{\"unit_amount\":5,\"currency\":\"usd\"}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p&items[0][quantity]=999999999999999999",
            price,
            "{\"unit_amount\":500000,\"currency\":\"usd\"}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=p&items[0][price]=q",
            price,
            "{\"unit_amount\":5,\"currency\":\"usd\"}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price]=../x",
            price,
            "{}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price_data][currency]=usd",
            price,
            "{}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscriptions",
            "items[0][price_data][currency]=usd&items[0][price_data][unit_amount_decimal]=1e9",
            price,
            "{}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of("/v1/invoiceitems", "customer=cus_1", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of("/v1/invoiceitems", "amount=100", price, "{}", RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/invoiceitems",
            "amount=--100&currency=usd",
            price,
            "{}",
            RefusalCode.UNREADABLE_REQUEST),
        Arguments.of(
            "/v1/payment_intents/pi_1/increment_authorization",
            "amount=100",
            price,
            "{}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/checkout/sessions", "mode=payment", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/subscription_items",
            "subscription=sub_1&price=p",
            price,
            "{}",
            RefusalCode.COST_UNBOUNDED),
        Arguments.of("/v1/transfers/tr_1/reversals", "", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of("/v1/credit_notes", "invoice=in_1", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/charges/ch_1/refunds", "amount=100", price, "{}", RefusalCode.COST_UNBOUNDED),
        Arguments.of(
            "/v1/treasury/outbound_payments",
            "amount=100",
            price,
            "{}",
            RefusalCode.UNREADABLE_REQUEST));
  }

  @ParameterizedTest(name = "[{index}] POST {0} {1} with {3} -> {4}")
  @MethodSource("refused")
  void callsWithoutABoundAreRefused(
      String path, String body, String objectPath, String object, RefusalCode expected) {
    Objects o = new Objects().with(objectPath, object);
    assertThatThrownBy(
            () ->
                estimator.estimate(
                    matchWithRawId(path), body.getBytes(UTF_8), TestPolicies.open(), o))
        .isInstanceOfSatisfying(
            RequestRejected.class, e -> assertThat(e.refusal().code()).isEqualTo(expected));
  }

  /**
   * The match for {@code path}; an id holding an escaped slash ({@code in%2F..%2F1}) is kept as an
   * id the way a path variable could carry it, to prove it never reaches a lookup path.
   */
  private static EndpointMatch matchWithRawId(String path) {
    if (!path.contains("%2F")) {
      return CostEstimatorTest.match("stripe", "POST", path);
    }
    String[] parts = path.split("/");
    String plain = path.replace(parts[3], "x");
    EndpointMatch m = CostEstimatorTest.match("stripe", "POST", plain);
    return new EndpointMatch(m.endpoint(), Map.of("id", parts[3].replace("%2F", "/")));
  }
}
