package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input the proxy cannot read with certainty gets a clear 4xx and never reaches a vendor. */
class BadInputIT {
  @TempDir static Path dir;
  static Gateway gw;
  static Gateway.Key twilio;
  static Gateway.Key resend;

  @BeforeAll
  static void start() throws Exception {
    gw = new Gateway(dir);
    twilio = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    resend = gw.createResendKey("{\"daily_usd_cap\":5}");
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private String messages() {
    return "/twilio/2010-04-01/Accounts/" + twilio.vaultKey() + "/Messages.json";
  }

  private String auth() {
    return Gateway.basic(twilio.vaultKey(), "x");
  }

  private void assertRefused(HttpResponse<String> r, int status, String code) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode body = gw.body(r);
    JsonNode c = body.has("keybrake_code") ? body.get("keybrake_code") : body.get("code");
    assertThat(c.asText()).isEqualTo(code);
    assertThat(body.get("message").asText()).isNotBlank();
    assertThat(gw.twilio.received()).isEmpty();
    assertThat(gw.resend.received()).isEmpty();
  }

  @Test
  void twoToFieldsInOneFormAreRefused() throws Exception {
    String form = "To=%2B14155552671&To=%2B2348031234567&From=%2B15005550006&Body=hi";
    assertRefused(gw.postForm(messages(), auth(), form), 400, "unreadable_request");
  }

  @Test
  void percentEncodedNigerianNumberIsStillCheckedAgainstTheAllowlist() throws Exception {
    String form = "To=%2B2348031234567&From=%2B15005550006&Body=hi";
    assertRefused(gw.postForm(messages(), auth(), form), 403, "destination_not_allowed");
  }

  @Test
  void gzipBodyIsRefused() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(buf)) {
      gz.write("To=%2B14155552671&Body=hi".getBytes(StandardCharsets.UTF_8));
    }
    var req =
        java.net.http.HttpRequest.newBuilder(gw.uri(messages()))
            .header("Authorization", auth())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Content-Encoding", "gzip")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(buf.toByteArray()))
            .build();
    assertRefused(
        gw.http.send(req, HttpResponse.BodyHandlers.ofString()), 400, "unreadable_request");
  }

  @Test
  void malformedJsonIsRefused() throws Exception {
    HttpResponse<String> r =
        gw.send(
            "/resend/emails",
            Gateway.bearer(resend.vaultKey()),
            "application/json",
            "{\"from\":\"a@example.com\",\"to\":[\"b@example.com\""
                .getBytes(StandardCharsets.UTF_8));
    assertRefused(r, 400, "unreadable_request");
  }

  @Test
  void bodyOverOneMebibyteIsRefused() throws Exception {
    byte[] big =
        ("To=%2B14155552671&Body=" + "a".repeat((1 << 20) + 10)).getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r = gw.send(messages(), auth(), "application/x-www-form-urlencoded", big);
    assertRefused(r, 413, "request_too_large");
  }

  @Test
  void toThatIsNotAPhoneNumberIsRefused() throws Exception {
    String form = "To=call-me-maybe&From=%2B15005550006&Body=hi";
    assertRefused(gw.postForm(messages(), auth(), form), 400, "invalid_destination");
  }

  @Test
  void pathWithDotDotSegmentsIsRefused() throws Exception {
    String path =
        "/twilio/2010-04-01/Accounts/" + twilio.vaultKey() + "/Calls/%2e%2e/Messages.json";
    String form = "To=%2B14155552671&From=%2B15005550006&Body=hi";
    assertRefused(gw.postForm(path, auth(), form), 400, "unreadable_request");
  }

  @Test
  void unknownVaultKeyIsRefused() throws Exception {
    String fake = "vault_key_" + "A".repeat(40);
    HttpResponse<String> r =
        gw.postForm(
            "/twilio/2010-04-01/Accounts/" + fake + "/Messages.json",
            Gateway.basic(fake, "x"),
            "To=%2B14155552671&Body=hi");
    assertRefused(r, 401, "invalid_key");
  }

  @Test
  void realVendorCredentialIsNotAcceptedInPlaceOfAVaultKey() throws Exception {
    HttpResponse<String> r =
        gw.postForm(
            "/twilio/2010-04-01/Accounts/" + Gateway.TWILIO_SID + "/Messages.json",
            Gateway.basic(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN),
            "To=%2B14155552671&Body=hi");
    assertRefused(r, 401, "invalid_key");
  }
}
