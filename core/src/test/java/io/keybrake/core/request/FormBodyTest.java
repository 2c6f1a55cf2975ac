package io.keybrake.core.request;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FormBodyTest {

  private static FormBody form(String body) throws RequestRejected {
    return FormBody.parse(body.getBytes(UTF_8));
  }

  @Test
  void decodesPlusAsSpaceAndPercentEscapes() throws RequestRejected {
    FormBody f = form("To=%2B14155550123&Body=Hello+world%21+%E2%82%AC&From=+1415");

    assertThat(f.single("To")).contains("+14155550123");
    assertThat(f.single("Body")).contains("Hello world! €");
    assertThat(f.single("From"))
        .contains(" 1415"); // an unencoded '+' is a space, as vendors read it
    assertThat(f.names()).containsExactly("To", "Body", "From");
  }

  @Test
  void encodedPlusOfForeignNumberDecodesToPlus() throws RequestRejected {
    assertThat(form("To=%2B2348031234567").single("To")).contains("+2348031234567");
  }

  @Test
  void keepsRepeatedFieldsInOrderButSingleRefusesThem() throws RequestRejected {
    FormBody f = form("MediaUrl=a&To=%2B1&MediaUrl=b&To=%2B2");

    assertThat(f.all("MediaUrl")).containsExactly("a", "b");
    assertThat(f.names()).containsExactly("MediaUrl", "To");
    assertThatThrownBy(() -> f.single("To"))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST))
        .hasMessage("duplicate field 'To'");
  }

  @Test
  void absentFieldIsEmpty() throws RequestRejected {
    assertThat(form("").single("To")).isEmpty();
    assertThat(form("a=1&&b=2&").names()).containsExactly("a", "b");
    assertThat(form("flag").single("flag")).contains("");
  }

  @ParameterizedTest(name = "refuses {0}")
  @ValueSource(
      strings = {
        "To=%2",
        "To=%",
        "To=%G1",
        "To=%2B1&Body=%C3%28",
        "=value",
        "To=a\u0001b",
        "To=line\nbreak",
      })
  void refusesUnreadableForms(String body) {
    assertThatThrownBy(() -> form(body))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
  }

  @Test
  void refusesCompressedBody() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write("To=%2B2348031234567&Body=hi".getBytes(UTF_8));
    }

    assertThatThrownBy(() -> FormBody.parse(bytes.toByteArray()))
        .isInstanceOf(RequestRejected.class)
        .hasMessageContaining("binary or compressed");
  }

  @Test
  void refusesRawInvalidUtf8() {
    byte[] body = {'B', 'o', 'd', 'y', '=', (byte) 0xff, (byte) 0xfe};
    assertThatThrownBy(() -> FormBody.parse(body)).hasMessage("form body is not valid UTF-8");
  }

  @Test
  void withReplacesEveryOccurrenceAtTheFirstPosition() throws RequestRejected {
    FormBody f = form("TimeLimit=1&To=%2B1&TimeLimit=2");

    FormBody rewritten = f.with("TimeLimit", "600");

    assertThat(new String(rewritten.encode(), UTF_8)).isEqualTo("TimeLimit=600&To=%2B1");
    assertThat(new String(form("To=%2B1").with("TimeLimit", "60").encode(), UTF_8))
        .isEqualTo("To=%2B1&TimeLimit=60");
    assertThat(f.all("TimeLimit")).containsExactly("1", "2"); // the original is unchanged
  }

  @Test
  void encodeRoundTrips() throws RequestRejected {
    FormBody f = form("Body=caf%C3%A9+%26+%3D+%2B&metadata%5Bk%5D=v");

    FormBody again = FormBody.parse(f.encode());

    assertThat(again.single("Body")).contains("café & = +");
    assertThat(again.single("metadata[k]")).contains("v");
  }

  @Test
  void canonicalIgnoresFieldOrderAndEncodingButKeepsValueOrder() throws RequestRejected {
    String a = form("To=%2B1&Body=hi+there&MediaUrl=x&MediaUrl=y").canonical();
    String b = form("MediaUrl=x&Body=hi%20there&To=%2b1&MediaUrl=y").canonical();
    String c = form("MediaUrl=y&Body=hi+there&To=%2B1&MediaUrl=x").canonical();

    assertThat(a).isEqualTo(b).isEqualTo("Body=hi+there&MediaUrl=x&MediaUrl=y&To=%2B1");
    assertThat(c).isNotEqualTo(a);
  }
}
