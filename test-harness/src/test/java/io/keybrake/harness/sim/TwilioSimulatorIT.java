package io.keybrake.harness.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TwilioSimulatorIT {
  private static final String SID = "AC0123456789abcdef0123456789abcdef";
  private static final String TOKEN = "real-auth-token";
  private static final String MESSAGES = "/2010-04-01/Accounts/" + SID + "/Messages.json";
  private static final String AUTH = Http.basic(SID, TOKEN);

  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-05T10:00:00Z"));
  private TwilioSimulator twilio;

  @BeforeEach
  void start() {
    twilio = new TwilioSimulator(SID, TOKEN, clock, Duration.ofSeconds(30)).start();
  }

  @AfterEach
  void stop() {
    twilio.close();
  }

  @Test
  void createsAQueuedUnpricedMessageWithTheDocumentedShape() throws Exception {
    Http.Reply r =
        Http.form(
            twilio.baseUri(), MESSAGES, AUTH, "To=%2B14155550100&From=%2B14155550199&Body=Hello");

    assertThat(r.status()).isEqualTo(201);
    JsonNode m = r.json();
    assertThat(m.get("sid").asText()).matches("SM[0-9a-f]{32}");
    assertThat(m.get("account_sid").asText()).isEqualTo(SID);
    assertThat(m.get("to").asText()).isEqualTo("+14155550100");
    assertThat(m.get("from").asText()).isEqualTo("+14155550199");
    assertThat(m.get("body").asText()).isEqualTo("Hello");
    assertThat(m.get("status").asText()).isEqualTo("queued");
    assertThat(m.get("num_segments").asText()).isEqualTo("1");
    assertThat(m.get("price").isNull()).isTrue();
    assertThat(m.get("price_unit").asText()).isEqualTo("USD");
    assertThat(m.get("direction").asText()).isEqualTo("outbound-api");
    assertThat(m.get("uri").asText())
        .isEqualTo("/2010-04-01/Accounts/" + SID + "/Messages/" + m.get("sid").asText() + ".json");
    assertThat(
            ZonedDateTime.parse(
                    m.get("date_created").asText(), DateTimeFormatter.RFC_1123_DATE_TIME)
                .toInstant())
        .isEqualTo(clock.instant());

    RecordedRequest seen = twilio.received().get(0);
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.path()).isEqualTo(MESSAGES);
    assertThat(seen.header("authorization")).contains(AUTH);
    assertThat(seen.form().first("To")).contains("+14155550100");
  }

  @Test
  void messageIsPricedAndSentOnceThePricingDelayHasPassed() throws Exception {
    String body = "x".repeat(200); // two GSM-7 segments
    JsonNode created =
        Http.form(twilio.baseUri(), MESSAGES, AUTH, "To=%2B14155550100&From=%2B1415&Body=" + body)
            .json();
    assertThat(created.get("num_segments").asText()).isEqualTo("2");
    String fetch = created.get("uri").asText();

    JsonNode early = Http.get(twilio.baseUri(), fetch, AUTH).json();
    assertThat(early.get("price").isNull()).isTrue();
    assertThat(early.get("status").asText()).isEqualTo("queued");

    clock.advance(Duration.ofSeconds(30));
    Http.Reply late = Http.get(twilio.baseUri(), fetch, AUTH);
    assertThat(late.status()).isEqualTo(200);
    assertThat(late.json().get("price").asText()).isEqualTo("-0.01660");
    assertThat(late.json().get("status").asText()).isEqualTo("sent");
    assertThat(late.json().get("sid").asText()).isEqualTo(created.get("sid").asText());
  }

  @Test
  void wrongTokenOrForeignAccountGetsTwiliosAuthenticateError() throws Exception {
    String form = "To=%2B14155550100&From=%2B1415&Body=Hi";
    Http.Reply wrongToken =
        Http.form(twilio.baseUri(), MESSAGES, Http.basic(SID, "vault_key_abc"), form);
    Http.Reply foreign =
        Http.form(twilio.baseUri(), "/2010-04-01/Accounts/ACother/Messages.json", AUTH, form);
    Http.Reply none = Http.form(twilio.baseUri(), MESSAGES, null, form);

    for (Http.Reply r : new Http.Reply[] {wrongToken, foreign, none}) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.raw().body())
          .isEqualTo(
              "{\"code\":20003,\"message\":\"Authenticate\",\"more_info\":"
                  + "\"https://www.twilio.com/docs/errors/20003\",\"status\":401}");
    }
    assertThat(twilio.received()).hasSize(3);
  }

  @Test
  void forcedFailuresAnswerTheNextRequestsThenRecover() throws Exception {
    twilio.failNext(2, 500);
    String form = "To=%2B14155550100&From=%2B1415&Body=Hi";

    Http.Reply first = Http.form(twilio.baseUri(), MESSAGES, AUTH, form);
    Http.Reply second = Http.form(twilio.baseUri(), MESSAGES, AUTH, form);
    Http.Reply third = Http.form(twilio.baseUri(), MESSAGES, AUTH, form);

    assertThat(first.status()).isEqualTo(500);
    assertThat(first.json().get("code").asInt()).isEqualTo(20500);
    assertThat(second.status()).isEqualTo(500);
    assertThat(third.status()).isEqualTo(201);
    assertThat(twilio.received()).hasSize(3);
    twilio.clear();
    assertThat(twilio.received()).isEmpty();
  }

  @Test
  void createsACallAndValidatesTheMessageForm() throws Exception {
    Http.Reply call =
        Http.form(
            twilio.baseUri(),
            "/2010-04-01/Accounts/" + SID + "/Calls.json",
            AUTH,
            "To=%2B14155550100&From=%2B14155550199&Url=https%3A%2F%2Fx.example%2Ft.xml&TimeLimit=600");
    assertThat(call.status()).isEqualTo(201);
    assertThat(call.json().get("sid").asText()).matches("CA[0-9a-f]{32}");
    assertThat(call.json().get("status").asText()).isEqualTo("queued");
    assertThat(call.json().get("price").isNull()).isTrue();

    Http.Reply noTo = Http.form(twilio.baseUri(), MESSAGES, AUTH, "From=%2B1415&Body=Hi");
    assertThat(noTo.status()).isEqualTo(400);
    assertThat(noTo.json().get("code").asInt()).isEqualTo(21604);

    Http.Reply unknown =
        Http.get(twilio.baseUri(), "/2010-04-01/Accounts/" + SID + "/Messages/SMnope.json", AUTH);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("code").asInt()).isEqualTo(20404);
  }
}
