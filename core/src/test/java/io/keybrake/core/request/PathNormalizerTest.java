package io.keybrake.core.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormalizerTest {

  @ParameterizedTest(name = "{0} -> {1} ? {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/v1/charges|/v1/charges|''",
        "/v1//charges|/v1/charges|''",
        "//v1///charges/|/v1/charges|''",
        "/v1/charges?limit=3&expand[]=data|/v1/charges|limit=3&expand[]=data",
        "/2010-04-01/Accounts/AC1/Messages.JSON|/2010-04-01/Accounts/AC1/Messages.json|''",
        "/2010-04-01/Accounts/AC1/Messages.Json?PageSize=5|/2010-04-01/Accounts/AC1/Messages.json|PageSize=5",
        "/v1/customers/cus%5F1|/v1/customers/cus_1|''",
        "/v1/%70ayment_intents|/v1/payment_intents|''",
        "/|/|''",
        "/emails/a%20b|/emails/a b|''",
      })
  void normalizesToOneForm(String raw, String path, String query) throws RequestRejected {
    NormalizedPath normalized = PathNormalizer.normalize(raw);

    assertThat(normalized.path()).isEqualTo(path);
    assertThat(normalized.query()).isEqualTo(query);
  }

  @ParameterizedTest(name = "refuses {0}")
  @ValueSource(
      strings = {
        "/v1/../v1/charges",
        "/v1/./charges",
        "/v1/charges/..",
        "/v1/%2e%2e/charges",
        "/v1/%2E%2e/charges",
        "/v1/.%2e/charges",
        "/v1/%2e/charges",
        "/v1/..;x/charges",
        "/v1/charges%2Fextra",
        "/v1/charges%2fextra",
        "/v1/charges%5Cx",
        "/v1/charges\\x",
        "/v1/charges%25",
        "/v1/charges%252e",
        "/v1/charges%3Fx=1",
        "/v1/charges%23x",
        "/v1/charges%00",
        "/v1/charges%0A",
        "/v1/charges%",
        "/v1/charges%2",
        "/v1/charges%zz",
        "/v1/charges%C3%28",
        "/v1/char ges",
        "/v1/charges#frag",
        "/v1/charges?a=1#frag",
        "v1/charges",
        "",
      })
  void refusesWhatCannotBeReadOneWay(String raw) {
    assertThatThrownBy(() -> PathNormalizer.normalize(raw))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> {
              assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST);
              assertThat(e.refusal().status()).isEqualTo(400);
            });
  }

  @Test
  void dotDotMessageSaysWhy() {
    assertThatThrownBy(() -> PathNormalizer.normalize("/v1/%2e%2e/charges"))
        .hasMessage("request path contains a dot segment");
    assertThatThrownBy(() -> PathNormalizer.normalize("/v1/a%2Fb"))
        .hasMessageContaining("encoded '/'");
  }

  @Test
  void decodesOnlyOnce() throws RequestRejected {
    // %2541 is "%41" after one decoding: the decoded '%' makes it ambiguous, so it is refused
    assertThatThrownBy(() -> PathNormalizer.normalize("/v1/%2541"))
        .isInstanceOf(RequestRejected.class);
    assertThat(PathNormalizer.normalize("/v1/%41").path()).isEqualTo("/v1/A");
  }

  @Test
  void encodedPathIsForwardableAndDecodesBack() throws RequestRejected {
    NormalizedPath p = PathNormalizer.normalize("/emails/a%20b%C3%A9?x=1");

    assertThat(p.path()).isEqualTo("/emails/a bé");
    assertThat(p.encodedPath()).isEqualTo("/emails/a%20b%C3%A9");
    assertThat(p.encodedPathAndQuery()).isEqualTo("/emails/a%20b%C3%A9?x=1");
  }
}
