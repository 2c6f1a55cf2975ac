package io.keybrake.core.cost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.destination.DestinationPolicy;
import io.keybrake.core.destination.TestPolicies;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.core.vendor.VendorSpecParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cost rules a spec writes without code, through the two example specs shipped in {@code
 * docs/vendors/} (Vonage SMS, SendGrid Mail Send) and small specs for the other shapes.
 */
class GenericCostsTest {
  private final CostEstimator estimator =
      new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault());

  private static VendorSpec docsSpec(String file) throws Exception {
    Path p = Path.of("..", "docs", "vendors", file);
    try (InputStream in = Files.newInputStream(p)) {
      return VendorSpecParser.parse(in, p.toString());
    }
  }

  private static VendorSpec spec(String endpointYaml) {
    String yaml =
        "id: acme\nupstream: https://api.acme.test\nkey_presentation: [BEARER]\n"
            + "credential: [{name: api_key, secret: true, inject: ['header:X-Api-Key']}]\n"
            + "endpoints:\n"
            + endpointYaml;
    return VendorSpecParser.parse(new ByteArrayInputStream(yaml.getBytes(UTF_8)), "acme.yaml");
  }

  private CallEstimate estimate(VendorSpec spec, String method, String path, String body)
      throws RequestRejected {
    EndpointMatch m = spec.match(method, path).orElseThrow();
    return estimator.estimate(m, body.getBytes(UTF_8), TestPolicies.open());
  }

  private CallEstimate estimate(VendorSpec spec, String path, List<String> types, String body)
      throws RequestRejected {
    EndpointMatch m = spec.match("POST", path).orElseThrow();
    return estimator.estimate(
        m, body.getBytes(UTF_8), TestPolicies.open(), VendorObjects.NONE, types);
  }

  private CallEstimate vonageForm(VendorSpec vonage, String body) throws RequestRejected {
    return estimate(vonage, "/sms/json", List.of(FORM), body);
  }

  private static final String FORM = "application/x-www-form-urlencoded";

  @Test
  void sendGridIsPricedPerRecipientOfEveryPersonalization() throws Exception {
    VendorSpec sendgrid = docsSpec("sendgrid.yaml");
    String body =
        "{\"personalizations\":[{\"to\":[{\"email\":\"a@example.com\"},{\"email\":\"b@example.com\"}],"
            + "\"cc\":[{\"email\":\"c@example.com\"}]},{\"to\":[{\"email\":\"d@other.test\"}],"
            + "\"bcc\":[{\"email\":\"e@example.com\"}]}],\"from\":{\"email\":\"x@example.com\"},"
            + "\"subject\":\"hi\",\"content\":[{\"type\":\"text/plain\",\"value\":\"hi\"}]}";

    CallEstimate e = estimate(sendgrid, "POST", "/v3/mail/send", body);

    assertThat(e.micros()).isEqualTo(5 * 400);
    assertThat(e.detail()).isEqualTo("5 entries x $0.0004");
    assertThat(e.destinations())
        .extracting(d -> ((Destination.Email) d).address())
        .containsExactlyInAnyOrder(
            "a@example.com", "b@example.com", "c@example.com", "d@other.test", "e@example.com");
    assertThat(
            DestinationPolicy.check(
                    TestPolicies.destinations(List.of("@example.com"), List.of(), false),
                    e.destinations())
                .orElseThrow()
                .code())
        .isEqualTo(RefusalCode.DESTINATION_NOT_ALLOWED);
  }

  @Test
  void sendGridWithoutRecipientsIsUnreadable() throws Exception {
    VendorSpec sendgrid = docsSpec("sendgrid.yaml");

    assertThatThrownBy(
            () -> estimate(sendgrid, "POST", "/v3/mail/send", "{\"personalizations\":[]}"))
        .isInstanceOf(RequestRejected.class)
        .extracting(e -> ((RequestRejected) e).refusal().code())
        .isEqualTo(RefusalCode.UNREADABLE_REQUEST);
  }

  @Test
  void vonageSmsIsSegmentsTimesTheCountrysPriceAndTakesToWithoutAPlus() throws Exception {
    VendorSpec vonage = docsSpec("vonage.yaml");

    CallEstimate gb = vonageForm(vonage, "from=Acme&to=447700900123&text=" + "a".repeat(161));
    CallEstimate unlisted = vonageForm(vonage, "from=Acme&to=2348031234567&text=hi");

    assertThat(gb.micros()).isEqualTo(2 * 50_000);
    assertThat(gb.detail()).isEqualTo("2 segments x GB $0.05");
    assertThat(((Destination.Phone) gb.destinations().get(0)).number().e164())
        .isEqualTo("+447700900123");
    assertThat(unlisted.micros()).isEqualTo(100_000); // the spec's price for unlisted countries
  }

  @Test
  void vonageRefusesANumberThatIsNotOne() throws Exception {
    VendorSpec vonage = docsSpec("vonage.yaml");

    assertThatThrownBy(() -> vonageForm(vonage, "from=Acme&to=12&text=hi"))
        .isInstanceOf(RequestRejected.class)
        .extracting(e -> ((RequestRejected) e).refusal().code())
        .isEqualTo(RefusalCode.INVALID_DESTINATION);
  }

  @Test
  void vonageReadsAJsonBodyTheSameAsItsForm() throws Exception {
    VendorSpec vonage = docsSpec("vonage.yaml");
    String text = "a".repeat(161);

    CallEstimate form = vonageForm(vonage, "from=Acme&to=447700900123&text=" + text);
    CallEstimate json =
        estimate(
            vonage,
            "/sms/json",
            List.of("application/json; charset=utf-8"),
            "{\"from\":\"Acme\",\"to\":\"447700900123\",\"text\":\"" + text + "\"}");
    CallEstimate number =
        estimate(
            vonage,
            "/sms/json",
            List.of("Application/JSON"),
            "{\"from\":\"Acme\",\"to\":447700900123,\"text\":\""
                + text
                + "\",\"callback\":{\"url\":\"https://x.test\"},\"ttl\":null}");

    for (CallEstimate e : List.of(json, number)) {
      assertThat(e.micros()).isEqualTo(form.micros()).isEqualTo(2 * 50_000);
      assertThat(e.detail()).isEqualTo(form.detail());
      assertThat(e.destinations()).isEqualTo(form.destinations());
    }
    assertThat(json.canonicalBody()).startsWith("{").contains("447700900123");
  }

  @Test
  void vonageRefusesABodyWhoseMediaTypeIsNeitherFormNorJson() throws Exception {
    VendorSpec vonage = docsSpec("vonage.yaml");
    String body = "from=Acme&to=447700900123&text=hi";

    for (List<String> types :
        List.of(List.<String>of(), List.of("text/plain"), List.of("application/jsonp"))) {
      assertThatThrownBy(() -> estimate(vonage, "/sms/json", types, body))
          .isInstanceOf(RequestRejected.class)
          .hasMessageContaining("application/x-www-form-urlencoded or application/json")
          .extracting(e -> ((RequestRejected) e).refusal().code())
          .isEqualTo(RefusalCode.UNREADABLE_REQUEST);
    }
  }

  @Test
  void vonageRefusesJsonThatIsNotAnObjectOfFlatFields() throws Exception {
    VendorSpec vonage = docsSpec("vonage.yaml");
    List<String> json = List.of("application/json");

    assertThat(
            List.of(
                "from=Acme&to=447700900123&text=hi",
                "[{\"to\":\"447700900123\",\"text\":\"hi\"}]",
                "\"447700900123\"",
                "{\"to\":[\"447700900123\"],\"text\":\"hi\"}",
                "{\"to\":{\"number\":\"447700900123\"},\"text\":\"hi\"}",
                "{\"to\":\"447700900123\",\"text\":true}",
                "{\"to\":\"447700900123\",\"text\":null}",
                "{\"to\":4.477009e11,\"text\":\"hi\"}",
                "{\"to\":\"447700900123\",\"To\":\"14155552671\",\"text\":\"hi\"}",
                "{\"to\":\"447700900123\",\"to[]\":\"14155552671\",\"text\":\"hi\"}"))
        .allSatisfy(
            body ->
                assertThatThrownBy(() -> estimate(vonage, "/sms/json", json, body))
                    .as(body)
                    .isInstanceOf(RequestRejected.class)
                    .extracting(e -> ((RequestRejected) e).refusal().code())
                    .isEqualTo(RefusalCode.UNREADABLE_REQUEST));
    assertThatThrownBy(
            () ->
                estimate(vonage, "/sms/json", json, "{\"to\":[\"447700900123\"],\"text\":\"hi\"}"))
        .hasMessageContaining("field 'to' must be a string or a whole number, not a JSON array");
  }

  @Test
  void amountsAndDurationsReadTheSameFromAFormAndFromJsonNumbersOrStrings() throws Exception {
    VendorSpec acme =
        spec(
            "  - {name: pay, method: POST, path: /pay, body: FORM_OR_JSON,"
                + " cost: {rule: AMOUNT, amount: amount, currency: currency}}\n"
                + "  - {name: call, method: POST, path: /calls, body: FORM_OR_JSON,"
                + " cost: {rule: PER_MINUTE, price_usd: \"0.02\", duration: seconds,"
                + " max_seconds: 600}}\n");
    List<String> json = List.of("application/json");

    long form = estimate(acme, "/pay", List.of(FORM), "amount=1250&currency=usd").micros();
    long number = estimate(acme, "/pay", json, "{\"amount\":1250,\"currency\":\"usd\"}").micros();
    long text = estimate(acme, "/pay", json, "{\"amount\":\"1250\",\"currency\":\"usd\"}").micros();
    long minutes = estimate(acme, "/calls", List.of(FORM), "seconds=61").micros();
    long jsonMinutes = estimate(acme, "/calls", json, "{\"seconds\":61}").micros();

    assertThat(List.of(form, number, text)).containsOnly(12_500_000L);
    assertThat(List.of(minutes, jsonMinutes)).containsOnly(2 * 20_000L);
    assertThatThrownBy(() -> estimate(acme, "/pay", json, "{\"amount\":12.5,\"currency\":\"usd\"}"))
        .hasMessageContaining("field 'amount' must be a string or a whole number, not a fraction");
    assertThatThrownBy(() -> estimate(acme, "/calls", json, "{\"seconds\":601}"))
        .hasMessageContaining("ceiling of 600 seconds");
  }

  @Test
  void fixedPricePerCall() throws Exception {
    VendorSpec acme =
        spec(
            "  - {name: search, method: POST, path: /v1/search, body: JSON,"
                + " cost: {rule: PER_CALL, price_usd: \"0.005\"}}\n");

    assertThat(estimate(acme, "POST", "/v1/search", "{\"q\":\"x\"}").micros()).isEqualTo(5_000);
  }

  @Test
  void amountInMinorUnitsWithTheCurrencysExponent() throws Exception {
    VendorSpec acme =
        spec(
            "  - {name: pay, method: POST, path: /pay, body: FORM,"
                + " cost: {rule: AMOUNT, amount: amount, currency: currency, default_currency: usd}}\n");

    assertThat(estimate(acme, "POST", "/pay", "amount=1250").micros()).isEqualTo(12_500_000);
    long jpy = estimate(acme, "POST", "/pay", "amount=1000&currency=jpy").micros();
    assertThat(jpy).isEqualTo(Currencies.loadDefault().toUsdMicros(1000, "jpy"));
  }

  @Test
  void perMinuteUpToTheCeiling() throws Exception {
    VendorSpec acme =
        spec(
            "  - {name: call, method: POST, path: /calls, body: JSON, cost: {rule: PER_MINUTE,"
                + " price_usd: \"0.02\", duration: max_seconds, max_seconds: 600,"
                + " destination: to, destination_kind: PHONE}}\n");

    assertThat(
            estimate(acme, "POST", "/calls", "{\"to\":\"+14155552671\",\"max_seconds\":61}")
                .micros())
        .isEqualTo(2 * 20_000);
    assertThat(estimate(acme, "POST", "/calls", "{\"to\":\"+14155552671\"}").micros())
        .isEqualTo(10 * 20_000);
    assertThatThrownBy(
            () -> estimate(acme, "POST", "/calls", "{\"to\":\"+14155552671\",\"max_seconds\":601}"))
        .hasMessageContaining("ceiling of 600 seconds");
  }

  @Test
  void countOfAFormFieldsEntries() throws Exception {
    VendorSpec acme =
        spec(
            "  - {name: fax, method: POST, path: /fax, body: FORM, cost: {rule: PER_ENTRY,"
                + " price_usd: \"0.07\", entries: [to], destination: [to], destination_kind: PHONE}}\n");

    CallEstimate e = estimate(acme, "POST", "/fax", "to=%2B14155552671&to=%2B14155552672");

    assertThat(e.micros()).isEqualTo(2 * 70_000);
    assertThat(e.destinations()).hasSize(2);
  }
}
