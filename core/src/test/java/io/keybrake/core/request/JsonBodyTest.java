package io.keybrake.core.request;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonBodyTest {

  @Test
  void parsesAnObject() throws RequestRejected {
    JsonNode node = JsonBody.parse("{\"to\":[\"a@x.com\"],\"n\":1.50}".getBytes(UTF_8));

    assertThat(node.get("to").get(0).asText()).isEqualTo("a@x.com");
    assertThat(node.get("n").decimalValue()).isEqualByComparingTo("1.50");
  }

  @ParameterizedTest(name = "refuses {0}")
  @ValueSource(
      strings = {
        "",
        "   ",
        "{\"to\":\"a\",\"to\":\"b\"}",
        "{\"a\":{\"to\":\"a\",\"to\":\"b\"}}",
        "{\"to\":\"a\"} {}",
        "{\"to\":\"a\"} x",
        "{\"to\":",
        "{'to':'a'}",
        "{\"n\":NaN}",
        "[1,]",
      })
  void refusesMalformedJson(String body) {
    assertThatThrownBy(() -> JsonBody.parse(body.getBytes(UTF_8)))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
  }

  @Test
  void duplicateKeyMessageNamesTheKey() {
    assertThatThrownBy(() -> JsonBody.parse("{\"to\":\"a\",\"to\":\"b\"}".getBytes(UTF_8)))
        .hasMessageContaining("Duplicate field 'to'");
  }

  @Test
  void refusesInvalidUtf8AndOtherEncodings() {
    byte[] latin1 = "{\"to\":\"caf\u00e9\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    byte[] utf16 = "{\"to\":\"a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_16LE);

    assertThatThrownBy(() -> JsonBody.parse(latin1)).hasMessage("JSON body is not valid UTF-8");
    assertThatThrownBy(() -> JsonBody.parse(utf16)).isInstanceOf(RequestRejected.class);
  }

  @Test
  void refusesDeepNesting() {
    String deep = "[".repeat(200) + "]".repeat(200);
    assertThatThrownBy(() -> JsonBody.parse(deep.getBytes(UTF_8)))
        .isInstanceOf(RequestRejected.class);
  }

  @Test
  void canonicalSortsKeysAtEveryLevelAndKeepsArrayOrder() throws RequestRejected {
    JsonNode a = JsonBody.parse("{\"b\":1,\"a\":{\"y\":[2,1],\"x\":null}}".getBytes(UTF_8));
    JsonNode b = JsonBody.parse("{ \"a\" : {\"x\":null, \"y\":[2,1]}, \"b\":1 }".getBytes(UTF_8));

    assertThat(JsonBody.canonical(a))
        .isEqualTo(JsonBody.canonical(b))
        .isEqualTo("{\"a\":{\"x\":null,\"y\":[2,1]},\"b\":1}");
  }
}
