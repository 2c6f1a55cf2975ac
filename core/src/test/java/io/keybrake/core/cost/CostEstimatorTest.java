package io.keybrake.core.cost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.destination.DestinationPolicy;
import io.keybrake.core.destination.TestPolicies;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.VendorRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class CostEstimatorTest {
  static final VendorRegistry VENDORS = VendorRegistry.loadDefault();
  static final String SID = "/2010-04-01/Accounts/AC123";
  private final CostEstimator estimator =
      new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault());

  static EndpointMatch match(String vendor, String method, String path) {
    return VENDORS.find(vendor).orElseThrow().match(method, path).orElseThrow();
  }

  private CallEstimate estimate(String vendor, String method, String path, String body)
      throws RequestRejected {
    return estimate(vendor, method, path, body, TestPolicies.open());
  }

  private CallEstimate estimate(String vendor, String method, String path, String body, Policy p)
      throws RequestRejected {
    return estimator.estimate(match(vendor, method, path), body.getBytes(UTF_8), p);
  }

  private CallEstimate sms(String body) throws RequestRejected {
    return estimate("twilio", "POST", SID + "/Messages.json", body);
  }

  // --- TWILIO_MESSAGE

  @Test
  void usSmsIsSegmentsTimesTheUsRate() throws RequestRejected {
    CallEstimate e = sms("To=%2B14155552671&From=%2B15005550006&Body=" + "a".repeat(161));

    assertThat(e.micros()).isEqualTo(2 * 8_300);
    assertThat(e.detail()).isEqualTo("2 segments x US $0.0083");
    assertThat(e.destinations()).extracting(Destination::masked).containsExactly("+1415555****");
    assertThat(e.rewrittenBody()).isEmpty();
    assertThat(e.canonicalBody()).startsWith("Body=aaa").contains("&To=%2B14155552671");
  }

  @Test
  void nigerianSmsIsPricedAtTheNigerianRate() throws RequestRejected {
    CallEstimate e = sms("To=%2B2348031234567&Body=hi");

    assertThat(e.micros()).isEqualTo(293_400);
    assertThat(e.detail()).isEqualTo("1 segment x NG $0.2934");
  }

  @Test
  void encodedPlusForeignNumberStillReachesThePolicy() throws RequestRejected {
    CallEstimate e = sms("To=%2B2348031234567&Body=hi");

    assertThat(
            DestinationPolicy.check(
                    TestPolicies.destinations(List.of("+1"), List.of(), false), e.destinations())
                .orElseThrow()
                .message())
        .isEqualTo("destination +234803123**** is not allowed: allowed prefixes are [+1]");
  }

  @Test
  void emojiBodyIsCountedInUcs2Segments() throws RequestRejected {
    CallEstimate e = sms("To=%2B14155552671&Body=" + "%F0%9F%98%80".repeat(36)); // 72 units

    assertThat(e.micros()).isEqualTo(2 * 8_300);
  }

  @Test
  void mediaUrlIsPricedAsMms() throws RequestRejected {
    CallEstimate e =
        sms(
            "To=%2B14155552671&MediaUrl=https%3A%2F%2Fx.test%2Fa.png&MediaUrl=https%3A%2F%2Fx.test%2Fb.png");

    assertThat(e.micros()).isEqualTo(22_000);
    assertThat(e.detail()).isEqualTo("1 MMS x US $0.022");
  }

  @Test
  void whatsappIsPricedPerMessageAtTheChannelRate() throws RequestRejected {
    CallEstimate e = sms("To=whatsapp%3A%2B5511987654321&Body=" + "a".repeat(400));

    assertThat(e.micros()).isEqualTo(67_500);
    assertThat(e.detail()).isEqualTo("1 WhatsApp message x BR $0.0675");
    assertThat(e.destinations())
        .extracting(Destination::masked)
        .containsExactly("whatsapp:+551198765****");
  }

  @Test
  void unknownCountryGetsTheConservativeDefault() throws RequestRejected {
    CallEstimate e = sms("To=%2B819012345678&Body=hi"); // Japan: not in the table

    assertThat(e.micros()).isEqualTo(PriceTable.loadDefault().smsSegmentMicros("ZZ"));
  }

  @Test
  void missingOrUnencodedToIsRefused() {
    assertThatThrownBy(() -> sms("Body=hi"))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST))
        .hasMessageContaining("field 'To' is required");
    assertThatThrownBy(() -> sms("To=+14155552671&Body=hi"))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.INVALID_DESTINATION))
        .hasMessageContaining("%2B");
  }

  // --- TWILIO_CALL

  @Test
  void callWithoutTimeLimitGetsThePolicyLimitInjected() throws RequestRejected {
    CallEstimate e =
        estimate(
            "twilio",
            "POST",
            SID + "/Calls.json",
            "To=%2B14155552671&From=%2B15005550006&Twiml=%3CResponse%3E%3CSay%3Ehi%3C%2FSay%3E%3C%2FResponse%3E",
            TestPolicies.maxCallSeconds(300));

    assertThat(e.micros()).isEqualTo(5 * 14_000);
    assertThat(e.detail()).isEqualTo("5 min x US $0.014/min (TimeLimit 300 s)");
    FormBody forwarded = FormBody.parse(e.rewrittenBody().orElseThrow());
    assertThat(forwarded.single("TimeLimit")).contains("300");
    assertThat(forwarded.single("To")).contains("+14155552671");
    assertThat(forwarded.single("Twiml")).contains("<Response><Say>hi</Say></Response>");
  }

  @Test
  void callWithALargerTimeLimitIsCappedByThePolicy() throws RequestRejected {
    CallEstimate e =
        estimate(
            "twilio",
            "POST",
            SID + "/Calls.json",
            "To=%2B14155552671&TimeLimit=14400",
            TestPolicies.maxCallSeconds(600));

    assertThat(e.micros()).isEqualTo(10 * 14_000);
    assertThat(FormBody.parse(e.rewrittenBody().orElseThrow()).all("TimeLimit"))
        .containsExactly("600");
  }

  @Test
  void callWithASmallerTimeLimitIsForwardedAsIsAndRoundedUpToAMinute() throws RequestRejected {
    CallEstimate e =
        estimate(
            "twilio",
            "POST",
            SID + "/Calls.json",
            "To=%2B14155552671&TimeLimit=61",
            TestPolicies.maxCallSeconds(600));

    assertThat(e.micros()).isEqualTo(2 * 14_000);
    assertThat(e.rewrittenBody()).isEmpty();
  }

  @Test
  void nonNumericTimeLimitIsRefused() {
    for (String limit : List.of("ten", "-5", "1.5", "")) {
      assertThatThrownBy(
              () ->
                  estimate(
                      "twilio",
                      "POST",
                      SID + "/Calls.json",
                      "To=%2B14155552671&TimeLimit=" + limit))
          .hasMessage("field 'TimeLimit' must be a whole number of seconds");
    }
  }

  // --- STRIPE

  @Test
  void paymentIntentInUsdCents() throws RequestRejected {
    CallEstimate e =
        estimate(
            "stripe", "POST", "/v1/payment_intents", "amount=2000&currency=usd&metadata%5Bk%5D=v");

    assertThat(e.micros()).isEqualTo(20_000_000);
    assertThat(e.destinations()).isEmpty();
    assertThat(e.detail()).isEqualTo("2000 USD minor units (exponent 2) = $20.00");
  }

  @Test
  void thousandYenChargeIsAboutSevenDollars() throws RequestRejected {
    CallEstimate e = estimate("stripe", "POST", "/v1/charges", "amount=1000&currency=jpy");

    assertThat(e.micros()).isEqualTo(6_950_000);
  }

  @Test
  void kuwaitiDinarPayoutUsesThreeDecimals() throws RequestRejected {
    CallEstimate e = estimate("stripe", "POST", "/v1/payouts", "amount=1000&currency=kwd");

    assertThat(e.micros()).isEqualTo(3_273_300);
  }

  @Test
  void transferNeedsAmountAndCurrency() {
    assertThatThrownBy(
            () -> estimate("stripe", "POST", "/v1/transfers", "currency=usd&destination=acct_1"))
        .hasMessageContaining("field 'amount' is required");
    assertThatThrownBy(
            () -> estimate("stripe", "POST", "/v1/transfers", "amount=12.50&currency=usd"))
        .hasMessageContaining("whole number");
    assertThatThrownBy(() -> estimate("stripe", "POST", "/v1/transfers", "amount=100&currency=zzz"))
        .hasMessageContaining("currency 'zzz' is not known");
    assertThatThrownBy(
            () -> estimate("stripe", "POST", "/v1/charges", "amount=1&amount=100000&currency=usd"))
        .hasMessage("duplicate field 'amount'");
  }

  @Test
  void refundWithAmountAndCurrencyIsPricedWithoutALookup() throws RequestRejected {
    assertThat(
            estimate("stripe", "POST", "/v1/refunds", "charge=ch_1&amount=500&currency=eur")
                .micros())
        .isEqualTo(5_860_000);
    assertThatThrownBy(() -> estimate("stripe", "POST", "/v1/refunds", "charge=ch_1"))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.COST_LOOKUP_FAILED));
  }

  @Test
  void invoicePayWithoutALookupIsRefusedNotPricedAtZero() {
    assertThatThrownBy(() -> estimate("stripe", "POST", "/v1/invoices/in_1/pay", ""))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.COST_LOOKUP_FAILED));
  }

  @Test
  void catchAllIsFreeButItsBodyIsStillRead() throws RequestRejected {
    CallEstimate e = estimate("stripe", "POST", "/v1/customers", "name=Jo&email=jo%40x.test");

    assertThat(e.micros()).isZero();
    assertThat(e.detail()).isEqualTo("free");
    assertThat(e.canonicalBody()).isEqualTo("email=jo%40x.test&name=Jo");
    assertThatThrownBy(() -> estimate("stripe", "POST", "/v1/customers", "name=%zz"))
        .isInstanceOf(RequestRejected.class);
  }

  @Test
  void getWithABodyIsRefused() throws RequestRejected {
    assertThat(estimate("stripe", "GET", "/v1/charges", "").micros()).isZero();
    assertThatThrownBy(() -> estimate("stripe", "GET", "/v1/charges", "amount=1"))
        .hasMessageContaining("takes no request body");
  }

  // --- RESEND

  @Test
  void emailIsPricedPerRecipient() throws RequestRejected {
    CallEstimate e =
        estimate(
            "resend",
            "POST",
            "/emails",
            "{\"from\":\"Acme <a@acme.test>\",\"to\":[\"b@x.test\",\"c@x.test\"],"
                + "\"cc\":\"d@x.test\",\"bcc\":[\"e@y.test\"],\"subject\":\"hi\",\"html\":\"<p>x</p>\"}");

    assertThat(e.micros()).isEqualTo(4 * 900);
    assertThat(e.detail()).isEqualTo("4 recipients x $0.0009");
    assertThat(e.destinations())
        .extracting(Destination::masked)
        .containsExactly("b***@x.test", "c***@x.test", "d***@x.test", "e***@y.test");
    assertThat(e.canonicalBody()).startsWith("{\"bcc\":[\"e@y.test\"],\"cc\":");
  }

  @Test
  void batchIsSummedOverEmails() throws RequestRejected {
    CallEstimate e =
        estimate(
            "resend",
            "POST",
            "/emails/batch",
            "[{\"from\":\"a@acme.test\",\"to\":\"b@x.test\",\"subject\":\"1\"},"
                + "{\"from\":\"a@acme.test\",\"to\":[\"c@x.test\",\"d@x.test\"],\"subject\":\"2\"}]");

    assertThat(e.micros()).isEqualTo(3 * 900);
    assertThat(e.detail()).isEqualTo("2 emails, 3 recipients x $0.0009");
    assertThat(e.destinations()).hasSize(3);
  }

  @Test
  void resendBodiesWithoutRecipientsAreRefused() {
    assertThatThrownBy(() -> estimate("resend", "POST", "/emails", "{\"subject\":\"x\"}"))
        .hasMessageContaining("field 'to' is required");
    assertThatThrownBy(() -> estimate("resend", "POST", "/emails", "{\"to\":[]}"))
        .hasMessageContaining("no recipients");
    assertThatThrownBy(() -> estimate("resend", "POST", "/emails", "{\"to\":[1]}"))
        .hasMessageContaining("array of strings");
    assertThatThrownBy(() -> estimate("resend", "POST", "/emails", "[]"))
        .hasMessageContaining("JSON object");
    assertThatThrownBy(() -> estimate("resend", "POST", "/emails/batch", "[]"))
        .hasMessageContaining("non-empty JSON array");
    assertThatThrownBy(
            () -> estimate("resend", "POST", "/emails", "{\"to\":\"a@x.test, b@y.test\"}"))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.INVALID_DESTINATION));
  }

  @Test
  void resendGetIsFree() throws RequestRejected {
    assertThat(estimate("resend", "GET", "/emails/abc", "").micros()).isZero();
  }
}
