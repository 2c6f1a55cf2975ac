package io.keybrake.core.cost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.destination.DestinationPolicy;
import io.keybrake.core.destination.TestPolicies;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import java.net.URLEncoder;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TwilioCallReachTest {
  private static final String CALLS = "/2010-04-01/Accounts/AC123/Calls.json";
  private static final PriceTable PRICES = PriceTable.loadDefault();
  private final CostEstimator estimator = new CostEstimator(PRICES, Currencies.loadDefault());

  private static Policy usOnly(List<String> twimlUrls) {
    return new Policy(
        10_000_000L,
        OptionalLong.empty(),
        List.of("+1"),
        List.of(),
        List.of(),
        Duration.ofSeconds(60),
        Optional.empty(),
        120,
        false,
        ZoneOffset.UTC,
        twimlUrls,
        List.of());
  }

  private CallEstimate call(String form, Policy p) throws RequestRejected {
    return estimator.estimate(
        CostEstimatorTest.match("twilio", "POST", CALLS), form.getBytes(UTF_8), p);
  }

  private static String twiml(String xml) {
    return "To=%2B14155552671&From=%2B15005550006&Twiml=" + URLEncoder.encode(xml, UTF_8);
  }

  private static Optional<Refusal> checked(CallEstimate e, Policy p) {
    return DestinationPolicy.check(p, e.destinations());
  }

  @Test
  void aNigerianNumberDialledByInlineTwimlIsNotAllowedForAUsOnlyKey() throws RequestRejected {
    Policy p = usOnly(List.of());
    CallEstimate e = call(twiml("<Response><Dial>+2348031234567</Dial></Response>"), p);

    assertThat(checked(e, p))
        .get()
        .extracting(Refusal::code)
        .isEqualTo(RefusalCode.DESTINATION_NOT_ALLOWED);
  }

  @Test
  void aPremiumRateNumberInsideTwimlIsBlocked() throws RequestRejected {
    Policy p = usOnly(List.of());
    CallEstimate e =
        call(twiml("<Response><Dial><Number>+19002345678</Number></Dial></Response>"), p);

    assertThat(checked(e, p))
        .get()
        .extracting(Refusal::message)
        .asString()
        .contains("premium-rate");
  }

  @Test
  void aTextSentDuringTheCallIsCheckedAndPriced() throws RequestRejected {
    Policy p = usOnly(List.of());
    CallEstimate e = call(twiml("<Response><Sms to=\"+447700900123\">hi</Sms></Response>"), p);

    assertThat(checked(e, p)).isPresent();
    assertThat(e.destinations()).hasSize(2);
  }

  @Test
  void theCallIsPricedByItsMostExpensiveDialledLeg() throws RequestRejected {
    Policy p = TestPolicies.maxCallSeconds(120);
    CallEstimate plain = call("To=%2B14155552671&Twiml=%3CResponse%2F%3E", p);
    CallEstimate dialled =
        call(
            twiml(
                "<Response><Dial><Number>+14155550100</Number><Number>+2348031234567</Number>"
                    + "</Dial></Response>"),
            p);

    long ng = PRICES.voicePerMinuteMicros("NG");
    assertThat(plain.micros()).isEqualTo(2 * PRICES.voicePerMinuteMicros("US"));
    assertThat(dialled.micros()).isEqualTo(plain.micros() + 2 * ng);
    assertThat(dialled.detail()).contains("dialled leg");
  }

  @Test
  void aUrlCallIsRefusedWithTheReasonWhenThePolicyNamesNoTwimlUrl() {
    assertThatThrownBy(
            () -> call("To=%2B14155552671&Url=https%3A%2F%2Fx.test%2Ft.xml", usOnly(List.of())))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> {
              assertThat(e.refusal().code()).isEqualTo(RefusalCode.DESTINATION_NOT_ALLOWED);
              assertThat(e.refusal().message())
                  .contains("Url")
                  .contains("cannot see")
                  .contains("allowed_twiml_urls");
            });
  }

  @Test
  void aUrlUnderANamedPrefixIsForwarded() throws RequestRejected {
    Policy p = usOnly(List.of("https://x.test/twiml/"));
    CallEstimate e = call("To=%2B14155552671&Url=https%3A%2F%2Fx.test%2Ftwiml%2Fa.xml", p);

    assertThat(e.destinations()).extracting(Destination::masked).containsExactly("+1415555****");
    assertThatThrownBy(() -> call("To=%2B14155552671&Url=https%3A%2F%2Fy.test%2Fa.xml", p))
        .isInstanceOf(RequestRejected.class);
  }

  @Test
  void applicationSidAndRedirectAndSipAreRefused() {
    Policy p = usOnly(List.of());
    for (String form :
        List.of(
            "To=%2B14155552671&ApplicationSid=AP123",
            "To=%2B14155552671&FallbackUrl=https%3A%2F%2Fx.test%2Ff",
            twiml("<Response><Redirect>https://x.test/next</Redirect></Response>"),
            twiml("<Response><Dial><Sip>sip:+2348031234567@trunk.test</Sip></Dial></Response>"),
            twiml("<Response><Dial action=\"https://x.test/a\">+14155550100</Dial></Response>"))) {
      assertThatThrownBy(() -> call(form, p))
          .as(form)
          .isInstanceOfSatisfying(
              RequestRejected.class,
              e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.DESTINATION_NOT_ALLOWED));
    }
  }

  @Test
  void aliasesOfCheckedFieldsAreRefused() {
    Policy p = usOnly(List.of());
    for (String form :
        List.of(
            "To=%2B14155552671&Twiml%5B%5D=%3CResponse%2F%3E",
            "To=%2B14155552671&To%5B0%5D=%2B2348031234567",
            "To=%2B14155552671&To%20=%2B2348031234567",
            "To=%2B14155552671&%E2%80%8BTo=%2B2348031234567",
            "To=%2B14155552671&Url%00=https%3A%2F%2Fx.test")) {
      assertThatThrownBy(() -> call(form, p))
          .as(form)
          .isInstanceOfSatisfying(
              RequestRejected.class,
              e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
    }
  }
}
