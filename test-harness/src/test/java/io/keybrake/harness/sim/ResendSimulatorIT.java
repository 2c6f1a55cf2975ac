package io.keybrake.harness.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ResendSimulatorIT {
  private static final String KEY = "re_real_key_123";
  private static final String AUTH = "Bearer " + KEY;
  private ResendSimulator resend;

  @BeforeEach
  void start() {
    resend = new ResendSimulator(KEY).start();
  }

  @AfterEach
  void stop() {
    resend.close();
  }

  @Test
  void sendsOneEmailAndRecordsIt() throws Exception {
    String email =
        "{\"from\":\"a@example.com\",\"to\":[\"b@example.com\",\"c@example.com\"],"
            + "\"subject\":\"Hi\",\"html\":\"<p>x</p>\"}";
    Http.Reply r = Http.post(resend.baseUri(), "/emails", AUTH, "application/json", email);

    assertThat(r.status()).isEqualTo(200);
    String id = r.json().get("id").asText();
    assertThat(id).matches("[0-9a-f-]{36}");
    assertThat(resend.received())
        .singleElement()
        .satisfies(q -> assertThat(q.bodyText()).isEqualTo(email));

    Http.Reply fetched = Http.get(resend.baseUri(), "/emails/" + id, AUTH);
    assertThat(fetched.json().get("to")).hasSize(2);
    assertThat(fetched.json().get("object").asText()).isEqualTo("email");
  }

  @Test
  void sendsABatchWithOneIdPerEmail() throws Exception {
    String batch =
        "[{\"from\":\"a@example.com\",\"to\":\"b@example.com\",\"subject\":\"1\",\"text\":\"x\"},"
            + "{\"from\":\"a@example.com\",\"to\":\"c@example.com\",\"subject\":\"2\",\"text\":\"y\"}]";
    Http.Reply r = Http.post(resend.baseUri(), "/emails/batch", AUTH, "application/json", batch);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("data")).hasSize(2);
    assertThat(r.json().get("data").get(0).get("id").asText())
        .isNotEqualTo(r.json().get("data").get(1).get("id").asText());
  }

  @Test
  void invalidEmailsGetValidationErrors() throws Exception {
    Http.Reply noTo =
        Http.post(
            resend.baseUri(),
            "/emails",
            AUTH,
            "application/json",
            "{\"from\":\"a@example.com\",\"subject\":\"Hi\",\"text\":\"x\"}");
    assertThat(noTo.status()).isEqualTo(422);
    assertThat(noTo.json().get("statusCode").asInt()).isEqualTo(422);
    assertThat(noTo.json().get("name").asText()).isEqualTo("validation_error");
    assertThat(noTo.json().get("message").asText()).isEqualTo("Missing `to` field.");

    Http.Reply notArray =
        Http.post(resend.baseUri(), "/emails/batch", AUTH, "application/json", "{}");
    assertThat(notArray.status()).isEqualTo(422);
  }

  @Test
  void missingOrWrongKeyIsRefused() throws Exception {
    String email =
        "{\"from\":\"a@example.com\",\"to\":\"b@example.com\",\"subject\":\"1\",\"text\":\"x\"}";
    Http.Reply none = Http.post(resend.baseUri(), "/emails", null, "application/json", email);
    Http.Reply wrong =
        Http.post(resend.baseUri(), "/emails", "Bearer vault_key_x", "application/json", email);

    assertThat(none.status()).isEqualTo(401);
    assertThat(none.json().get("name").asText()).isEqualTo("missing_api_key");
    assertThat(wrong.status()).isEqualTo(403);
    assertThat(wrong.json().get("name").asText()).isEqualTo("invalid_api_key");
  }
}
