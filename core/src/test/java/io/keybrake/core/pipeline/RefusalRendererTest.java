package io.keybrake.core.pipeline;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpecParser;
import java.io.ByteArrayInputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Refusal bodies in each envelope a vendor spec can declare. */
class RefusalRendererTest {
  private final ObjectMapper json = new ObjectMapper();
  private final RefusalRenderer renderer =
      new RefusalRenderer(
          VendorRegistry.loadDefault()
              .withSpecs(
                  List.of(
                      VendorSpecParser.parse(
                          new ByteArrayInputStream(
                              ("id: smsco\nupstream: https://api.smsco.test\n"
                                      + "key_presentation: [BASIC_USER]\n"
                                      + "credential: [{name: key, secret: true, inject: [basic_user]}]\n"
                                      + "refusal:\n  envelope: TEMPLATE\n  codes: {cap_exhausted: \"9\","
                                      + " default: \"5\"}\n  template:\n    messages:\n"
                                      + "      - {status: \"${vendor_code}\", error-text: \"${message}\"}\n"
                                      + "endpoints:\n  - {name: a, method: GET, path: /a, body: NONE,"
                                      + " cost: FREE}\n")
                                  .getBytes(UTF_8)),
                          "smsco.yaml"))));

  private JsonNode render(RefusalCode code, String vendor) throws Exception {
    RenderedResponse r = renderer.render(Refusal.of(code, "the cap is spent"), vendor);
    assertThat(r.status()).isEqualTo(code.status());
    assertThat(r.headers()).contains(java.util.Map.entry("x-keybrake-refusal", code.wireName()));
    return json.readTree(r.body());
  }

  @Test
  void twilioGetsTheSameNumericCodesAsBeforeSpecsDeclaredThem() throws Exception {
    JsonNode body = render(RefusalCode.CAP_EXHAUSTED, "twilio");

    assertThat(body.get("code").asInt()).isEqualTo(79000 + RefusalCode.CAP_EXHAUSTED.ordinal() + 1);
    assertThat(body.get("keybrake_code").asText()).isEqualTo("cap_exhausted");
    assertThat(body.get("message").asText()).isEqualTo("the cap is spent");
    assertThat(body.get("status").asInt()).isEqualTo(429);
  }

  @Test
  void stripeGetsItsErrorObject() throws Exception {
    JsonNode body = render(RefusalCode.CAP_EXHAUSTED, "stripe");

    assertThat(body.get("code").asText()).isEqualTo("cap_exhausted");
    assertThat(body.get("error").get("type").asText()).isEqualTo("rate_limit_error");
    assertThat(body.get("error").get("code").asText()).isEqualTo("cap_exhausted");
    assertThat(body.get("error").get("message").asText()).isEqualTo("the cap is spent");
  }

  @Test
  void resendAndUnknownVendorsGetThePlainBody() throws Exception {
    for (String vendor : new String[] {"resend", null, "nosuchvendor"}) {
      JsonNode body = render(RefusalCode.INVALID_KEY, vendor);
      assertThat(body.get("code").asText()).isEqualTo("invalid_key");
      assertThat(body.has("error")).isFalse();
    }
  }

  @Test
  void aTemplateIsFilledWithTheVendorsCodeAndTheMessage() throws Exception {
    JsonNode capped = render(RefusalCode.CAP_EXHAUSTED, "smsco");
    JsonNode other = render(RefusalCode.ENDPOINT_NOT_ALLOWED, "smsco");

    assertThat(capped.get("messages").get(0).get("status").asText()).isEqualTo("9");
    assertThat(capped.get("messages").get(0).get("error-text").asText())
        .isEqualTo("the cap is spent");
    assertThat(capped.get("keybrake_code").asText()).isEqualTo("cap_exhausted");
    assertThat(other.get("messages").get(0).get("status").asText()).isEqualTo("5");
  }
}
