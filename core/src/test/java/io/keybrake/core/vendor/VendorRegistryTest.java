package io.keybrake.core.vendor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VendorRegistryTest {
  private static final String SID = "/2010-04-01/Accounts/AC123";
  private final VendorRegistry registry = VendorRegistry.loadDefault();

  private VendorSpec vendor(String id) {
    return registry.find(id).orElseThrow();
  }

  private Optional<EndpointMatch> match(String vendor, String method, String path) {
    return vendor(vendor).match(method, path);
  }

  private String name(String vendor, String method, String path) {
    return match(vendor, method, path).map(m -> m.endpoint().name()).orElse("<none>");
  }

  @Test
  void loadsTheThreeShippedVendors() {
    assertThat(registry.all())
        .extracting(VendorSpec::id)
        .containsExactly("twilio", "stripe", "resend");
    assertThat(vendor("twilio").upstream()).isEqualTo(URI.create("https://api.twilio.com"));
    assertThat(vendor("twilio").keyPresentation())
        .containsExactly(KeyPresentation.BASIC_USER, KeyPresentation.PATH_SEGMENT);
    assertThat(vendor("stripe").keyPresentation())
        .containsExactly(KeyPresentation.BEARER, KeyPresentation.BASIC_USER);
    assertThat(vendor("resend").keyPresentation()).containsExactly(KeyPresentation.BEARER);
    assertThat(registry.find("sendgrid")).isEmpty();
  }

  @Test
  void twilioEndpointsWithPathVariables() {
    EndpointMatch m = match("twilio", "POST", SID + "/Messages.json").orElseThrow();

    assertThat(m.endpoint().name()).isEqualTo("messages.create");
    assertThat(m.endpoint().body()).isEqualTo(BodyFormat.FORM);
    assertThat(m.endpoint().cost()).isEqualTo(CostRule.TWILIO_MESSAGE);
    assertThat(m.pathVariables()).isEqualTo(Map.of("AccountSid", "AC123"));

    assertThat(name("twilio", "POST", SID + "/Calls.json")).isEqualTo("calls.create");
    assertThat(name("twilio", "GET", SID + "/Messages.json")).isEqualTo("messages.list");
    EndpointMatch fetch = match("twilio", "GET", SID + "/Messages/SM42.json").orElseThrow();
    assertThat(fetch.endpoint().name()).isEqualTo("messages.fetch");
    assertThat(fetch.endpoint().cost()).isEqualTo(CostRule.FREE);
    assertThat(fetch.pathVariables()).isEqualTo(Map.of("AccountSid", "AC123", "Sid", "SM42"));
    assertThat(name("twilio", "GET", SID + "/Calls/CA1.json")).isEqualTo("calls.fetch");
  }

  @Test
  void twilioHasNoCatchAll() {
    assertThat(match("twilio", "POST", SID + "/IncomingPhoneNumbers.json")).isEmpty();
    assertThat(match("twilio", "DELETE", SID + "/Messages/SM42.json")).isEmpty();
    assertThat(match("twilio", "POST", SID + "/Messages")).isEmpty();
    assertThat(match("twilio", "GET", SID + "/Messages/.json")).isEmpty();
    assertThat(match("twilio", "post", SID + "/Messages.json")).isEmpty();
  }

  @Test
  void stripeMoneyMovingEndpointsBeforeTheCatchAll() {
    assertThat(name("stripe", "POST", "/v1/payment_intents")).isEqualTo("payment_intents.create");
    assertThat(name("stripe", "POST", "/v1/charges")).isEqualTo("charges.create");
    assertThat(name("stripe", "POST", "/v1/refunds")).isEqualTo("refunds.create");
    assertThat(name("stripe", "POST", "/v1/payouts")).isEqualTo("payouts.create");
    assertThat(name("stripe", "POST", "/v1/transfers")).isEqualTo("transfers.create");
    assertThat(name("stripe", "POST", "/v1/payment_intents/pi_1/confirm"))
        .isEqualTo("payment_intents.confirm");
    assertThat(name("stripe", "POST", "/v1/payment_intents/pi_1/capture"))
        .isEqualTo("payment_intents.capture");
    EndpointMatch pay = match("stripe", "POST", "/v1/invoices/in_9/pay").orElseThrow();
    assertThat(pay.endpoint().cost()).isEqualTo(CostRule.STRIPE_INVOICE_PAY);
    assertThat(pay.pathVariables()).isEqualTo(Map.of("id", "in_9"));
  }

  @Test
  void stripeCatchAllIsUnnamedAndFree() {
    EndpointMatch post = match("stripe", "POST", "/v1/customers/cus_1").orElseThrow();
    assertThat(post.endpoint().named()).isFalse();
    assertThat(post.endpoint().cost()).isEqualTo(CostRule.FREE);
    assertThat(post.endpoint().body()).isEqualTo(BodyFormat.STRIPE_FORM);
    assertThat(post.pathVariables()).isEqualTo(Map.of("rest", "customers/cus_1"));

    EndpointMatch get = match("stripe", "GET", "/v1/charges").orElseThrow();
    assertThat(get.endpoint().named()).isFalse();
    assertThat(get.endpoint().body()).isEqualTo(BodyFormat.NONE);
    assertThat(match("stripe", "DELETE", "/v1/customers/cus_1")).isPresent();

    assertThat(match("stripe", "POST", "/v1")).isEmpty();
    assertThat(match("stripe", "POST", "/v2/charges")).isEmpty();
    assertThat(match("stripe", "PUT", "/v1/charges")).isEmpty();
  }

  @Test
  void everyNamedEndpointOfTheShippedSpecsIsNamed() {
    for (VendorSpec v : registry.all()) {
      assertThat(v.endpoints())
          .allMatch(e -> e.named() == !e.pathTemplate().endsWith("...}"), v.id());
    }
  }

  @Test
  void resendEndpoints() {
    assertThat(match("resend", "POST", "/emails").orElseThrow().endpoint().cost())
        .isEqualTo(CostRule.RESEND_EMAIL);
    assertThat(match("resend", "POST", "/emails/batch").orElseThrow().endpoint().cost())
        .isEqualTo(CostRule.RESEND_BATCH);
    EndpointMatch get = match("resend", "GET", "/emails/4ef9a417").orElseThrow();
    assertThat(get.endpoint().name()).isEqualTo("emails.get");
    assertThat(get.pathVariables()).isEqualTo(Map.of("id", "4ef9a417"));
    assertThat(match("resend", "GET", "/emails/batch")).isPresent(); // an id that reads "batch"
    assertThat(match("resend", "POST", "/domains")).isEmpty();
  }

  @Test
  void parserRefusesBadSpecs() {
    assertThatThrownBy(
            () ->
                parse(
                    "id: x\nupstream: https://x.test\nkey_presentation: [BEARER]\n"
                        + "credential: [{name: api_key, secret: true, inject: [bearer]}]\n"
                        + "endpoints:\n  - {name: a, method: GET, path: /a, body: NONE, cost: CHEAP}\n"))
        .hasMessageContaining("unknown cost 'CHEAP'");
    assertThatThrownBy(
            () ->
                parse(
                    "id: x\nupstream: http://x.test\nkey_presentation: [BEARER]\n"
                        + "credential: [{name: api_key, secret: true, inject: [bearer]}]\n"
                        + "endpoints:\n  - {name: a, method: GET, path: /a, body: NONE, cost: FREE}\n"))
        .hasMessageContaining("https");
    assertThatThrownBy(
            () ->
                parse(
                    "id: x\nupstream: https://x.test\nkey_presentation: [BEARER]\n"
                        + "credential: [{name: api_key, secret: true, inject: [bearer]}]\n"
                        + "endpoints:\n  - {name: a, method: GET, path: \"/{rest...}\", body: NONE, cost: FREE}\n"))
        .hasMessageContaining("named=false iff it is a catch-all");
    assertThatThrownBy(
            () ->
                parse(
                    "id: x\nupstream: https://x.test\nkey_presentation: [BEARER]\n"
                        + "credential: [{name: api_key, secret: true, inject: [bearer]}]\n"
                        + "endpoints:\n  - {name: a, method: GET, path: /a, body: NONE, cost: FREE, extra: 1}\n"))
        .hasMessageContaining("unknown field 'extra'");
    assertThatThrownBy(
            () ->
                parse(
                    "id: x\nupstream: https://x.test\nkey_presentation: [BEARER]\n"
                        + "credential: [{name: api_key, secret: true, inject: [bearer]}]\n"
                        + "endpoints:\n  - {name: a, method: GET, path: /a, body: NONE, cost: FREE}\n"
                        + "  - {name: b, method: GET, path: /a, body: NONE, cost: FREE}\n"))
        .hasMessageContaining("declared twice");
  }

  private static VendorSpec parse(String yaml) {
    return VendorSpecParser.parse(new ByteArrayInputStream(yaml.getBytes(UTF_8)));
  }
}
