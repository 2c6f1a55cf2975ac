package io.keybrake.core.cost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.vendor.EndpointMatch;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Actual cost from the vendors' documented response shapes. */
class ActualCostTest {
  private final CostEstimator estimator =
      new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault());

  private ActualCost actual(String vendor, String method, String path, int status, String body) {
    EndpointMatch match = CostEstimatorTest.match(vendor, method, path);
    return estimator.actual(match, status, body.getBytes(UTF_8));
  }

  private static final String TWILIO_MESSAGE_CREATED =
      """
      {"account_sid":"AC123","api_version":"2010-04-01","body":"hi","date_created":
      "Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api","error_code":null,
      "from":"+15557122661","num_segments":"1","price":null,"price_unit":"USD",
      "sid":"SM1234567890abcdef1234567890abcdef","status":"queued","to":"+15558675310",
      "uri":"/2010-04-01/Accounts/AC123/Messages/SM1234567890abcdef1234567890abcdef.json"}
      """;

  @Test
  void twilioMessageWithoutPriceKeepsTheEstimate() {
    ActualCost a =
        actual(
            "twilio",
            "POST",
            CostEstimatorTest.SID + "/Messages.json",
            201,
            TWILIO_MESSAGE_CREATED);

    assertThat(a.micros()).isEmpty();
    assertThat(a.vendorObjectId()).contains("SM1234567890abcdef1234567890abcdef");
  }

  @Test
  void twilioNegativePriceStringIsTheCost() {
    String body = TWILIO_MESSAGE_CREATED.replace("\"price\":null", "\"price\":\"-0.00790\"");

    ActualCost a = actual("twilio", "POST", CostEstimatorTest.SID + "/Messages.json", 201, body);

    assertThat(a.micros()).isEqualTo(OptionalLong.of(7_900));
  }

  @Test
  void twilioCallPriceInAnotherUnitIsConverted() {
    String body =
        "{\"sid\":\"CA1\",\"price\":\"-0.100\",\"price_unit\":\"EUR\",\"status\":\"completed\"}";

    ActualCost a = actual("twilio", "POST", CostEstimatorTest.SID + "/Calls.json", 201, body);

    assertThat(a.micros()).isEqualTo(OptionalLong.of(117_200));
    assertThat(a.vendorObjectId()).contains("CA1");
  }

  @Test
  void stripePaymentIntentAmountAndCurrency() {
    String body =
        "{\"id\":\"pi_3MtwBw\",\"object\":\"payment_intent\",\"amount\":2000,\"amount_received\":0,"
            + "\"currency\":\"usd\",\"status\":\"requires_payment_method\"}";

    ActualCost a = actual("stripe", "POST", "/v1/payment_intents", 200, body);

    assertThat(a.micros()).isEqualTo(OptionalLong.of(20_000_000));
    assertThat(a.vendorObjectId()).contains("pi_3MtwBw");
  }

  @Test
  void stripeYenChargeIsZeroDecimal() {
    String body = "{\"id\":\"ch_1\",\"object\":\"charge\",\"amount\":1000,\"currency\":\"jpy\"}";

    assertThat(actual("stripe", "POST", "/v1/charges", 200, body).micros())
        .isEqualTo(OptionalLong.of(6_950_000));
  }

  @Test
  void stripeRefund() {
    String body =
        "{\"id\":\"re_1\",\"object\":\"refund\",\"amount\":100,\"charge\":\"ch_1\",\"currency\":\"usd\"}";

    ActualCost a = actual("stripe", "POST", "/v1/refunds", 200, body);

    assertThat(a.micros()).isEqualTo(OptionalLong.of(1_000_000));
    assertThat(a.vendorObjectId()).contains("re_1");
  }

  @Test
  void stripeInvoicePayUsesAmountPaid() {
    String body =
        "{\"id\":\"in_1\",\"object\":\"invoice\",\"amount_due\":0,\"amount_paid\":1500,"
            + "\"amount_remaining\":0,\"currency\":\"gbp\",\"status\":\"paid\"}";

    ActualCost a = actual("stripe", "POST", "/v1/invoices/in_1/pay", 200, body);

    assertThat(a.micros()).isEqualTo(OptionalLong.of(20_595_000));
    assertThat(a.vendorObjectId()).contains("in_1");
  }

  @Test
  void resendGivesAnIdButNoPrice() {
    ActualCost a =
        actual(
            "resend", "POST", "/emails", 200, "{\"id\":\"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794\"}");

    assertThat(a)
        .isEqualTo(
            new ActualCost(
                OptionalLong.empty(), Optional.of("49a3999c-0ce1-4ea6-ab68-afcd6dc2e794")));
  }

  @Test
  void resendBatchGivesTheFirstId() {
    String body = "{\"data\":[{\"id\":\"ae2014de-c168\"},{\"id\":\"faccb7a5-8a28\"}]}";

    assertThat(actual("resend", "POST", "/emails/batch", 200, body).vendorObjectId())
        .contains("ae2014de-c168");
  }

  @Test
  void errorsAndUnreadableResponsesGiveNothingAndNeverThrow() {
    String path = CostEstimatorTest.SID + "/Messages.json";
    String error =
        "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\",\"status\":400}";

    assertThat(actual("twilio", "POST", path, 400, error)).isEqualTo(ActualCost.unknown());
    assertThat(actual("twilio", "POST", path, 201, "<html>oops")).isEqualTo(ActualCost.unknown());
    assertThat(actual("twilio", "POST", path, 201, "")).isEqualTo(ActualCost.unknown());
    assertThat(actual("twilio", "POST", path, 201, "{\"price\":\"abc\",\"sid\":\"SM1\"}"))
        .isEqualTo(ActualCost.unknown());
    assertThat(actual("stripe", "POST", "/v1/charges", 200, "{\"amount\":5,\"currency\":\"zzz\"}"))
        .isEqualTo(ActualCost.unknown());
    assertThat(
            estimator.actual(CostEstimatorTest.match("stripe", "POST", "/v1/charges"), 200, null))
        .isEqualTo(ActualCost.unknown());
  }

  @Test
  void freeEndpointsReportTheObjectIdOnly() {
    ActualCost a =
        actual(
            "twilio",
            "GET",
            CostEstimatorTest.SID + "/Messages/SM1.json",
            200,
            "{\"sid\":\"SM1\",\"price\":\"-0.0079\",\"price_unit\":\"USD\"}");

    assertThat(a.micros()).isEmpty();
    assertThat(a.vendorObjectId()).contains("SM1");
  }
}
