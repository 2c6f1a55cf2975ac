package io.keybrake.core.request;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** JSON bodies for Stripe's form endpoints, and the JSON that has no faithful form encoding. */
class StripeFormJsonTest {

  private static String form(String json) throws RequestRejected {
    return new String(StripeFormJson.toForm(json.getBytes(UTF_8)).encode(), UTF_8);
  }

  @Test
  void theDocumentedPaymentIntentBecomesStripesForm() throws RequestRejected {
    assertThat(form("{\"amount\":2000,\"currency\":\"usd\",\"customer\":\"cus_123\"}"))
        .isEqualTo("amount=2000&currency=usd&customer=cus_123");
  }

  static Stream<Arguments> encoded() {
    return Stream.of(
        Arguments.of("{\"confirm\":true,\"off_session\":false}", "confirm=true&off_session=false"),
        Arguments.of(
            "{\"metadata\":{\"order\":\"6735\",\"note\":\"a b&c=d\"}}",
            "metadata%5Border%5D=6735&metadata%5Bnote%5D=a+b%26c%3Dd"),
        Arguments.of(
            "{\"items\":[{\"price\":\"p_1\",\"quantity\":2},{\"price\":\"p_2\"}]}",
            "items%5B0%5D%5Bprice%5D=p_1&items%5B0%5D%5Bquantity%5D=2&items%5B1%5D%5Bprice%5D=p_2"),
        Arguments.of(
            "{\"payment_method_types\":[\"card\",\"link\"]}",
            "payment_method_types%5B0%5D=card&payment_method_types%5B1%5D=link"),
        Arguments.of("{\"metadata\":{\"old\":null}}", "metadata%5Bold%5D="),
        Arguments.of("{\"unit_amount_decimal\":12.50}", "unit_amount_decimal=12.5"),
        Arguments.of("{\"description\":\"\\u00e9t\\u00e9\"}", "description=%C3%A9t%C3%A9"),
        Arguments.of("{\"a\":{\"b\":{\"c\":[[1]]}}}", "a%5Bb%5D%5Bc%5D%5B0%5D%5B0%5D=1"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("encoded")
  void jsonIsForwardedInStripesEncoding(String json, String expected) throws RequestRejected {
    assertThat(form(json)).isEqualTo(expected);
  }

  static Stream<String> refused() {
    return Stream.of(
        "{\"amount\":100,\"amount\":1}",
        "{\"amount\":NaN,\"currency\":\"usd\"}",
        "{\"amount\":Infinity}",
        "{\"amount\":-Infinity}",
        "{\"amount\":null,\"currency\":\"usd\"}",
        "{\"description\":null}",
        "{\"items\":[null]}",
        "{\"metadata\":{}}",
        "{\"items\":[]}",
        "{\"amount[]\":100}",
        "{\"amount]\":100}",
        "{\"metadata\":{\"a[b]\":\"c\"}}",
        "{\"\":1}",
        "{\"amo\\u0000unt\":1}",
        "{\"amount\":1e400}",
        "{\"amount\":123456789012345678901234567890123456789012345}",
        "[{\"amount\":100}]",
        "\"amount=100\"",
        "100",
        "{\"amount\":100} {}",
        "{\"amount\":100,}",
        "{'amount':100}",
        "");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("refused")
  void jsonWithoutAFaithfulFormIsUnreadable(String json) {
    assertThatThrownBy(() -> StripeFormJson.toForm(json.getBytes(UTF_8)))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
  }
}
