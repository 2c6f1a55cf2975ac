package io.keybrake.core.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.TestPolicies;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.vendor.EndpointMatch;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One fixture file per body the gateway must refuse (under {@code src/test/resources/fixtures}),
 * run through the same call the pipeline makes. Each must give 400 {@code unreadable_request} with
 * a message that says why.
 */
class UnreadableBodyFixturesTest {
  private final CostEstimator estimator =
      new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault());

  private static byte[] fixture(String name) throws IOException {
    try (InputStream in =
        UnreadableBodyFixturesTest.class.getResourceAsStream("/fixtures/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "form/duplicate-to.form|duplicate field 'To'",
        "form/case-variant-to.form|ambiguous fields 'To' and 'to'",
        "form/truncated-escape.form|malformed percent-escape",
        "form/non-hex-escape.form|malformed percent-escape",
        "form/gzip-body.form|binary or compressed",
        "form/invalid-utf8-escape.form|not valid UTF-8",
        "form/empty-name.form|empty name",
      })
  void twilioMessageFormIsRefused(String fixture, String message) throws IOException {
    EndpointMatch match =
        CostEstimatorTest.match("twilio", "POST", CostEstimatorTest.SID + "/Messages.json");
    byte[] body = fixture(fixture);

    assertThatThrownBy(() -> estimator.estimate(match, body, TestPolicies.open()))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> {
              assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST);
              assertThat(e.refusal().status()).isEqualTo(400);
            })
        .hasMessageContaining(message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "json/duplicate-key.json|Duplicate field 'to'",
        "json/truncated.json|malformed JSON body",
        "json/trailing-value.json|malformed JSON body",
        "json/trailing-garbage.json|malformed JSON body",
        "json/trailing-comma.json|malformed JSON body",
        "json/comment.json|malformed JSON body",
        "json/empty.json|JSON body is empty",
        "json/invalid-utf8.json|not valid UTF-8",
        "json/utf16.json|malformed JSON body",
      })
  void resendEmailJsonIsRefused(String fixture, String message) throws IOException {
    EndpointMatch match = CostEstimatorTest.match("resend", "POST", "/emails");
    byte[] body = fixture(fixture);

    assertThatThrownBy(() -> estimator.estimate(match, body, TestPolicies.open()))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST))
        .hasMessageContaining(message);
  }
}
