package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.PaymentIntent;
import com.stripe.param.PaymentIntentCreateParams;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vendors' own SDKs, holding only a vault key, send through the gateway. */
class VendorSdkIT {
  @TempDir Path dir;
  Gateway gw;

  @BeforeEach
  void start() throws Exception {
    gw = new Gateway(dir);
  }

  @AfterEach
  void stop() throws Exception {
    gw.close();
  }

  private TwilioRestClient twilio(String vaultKey) {
    return new TwilioRestClient.Builder(vaultKey, "not-the-real-token")
        .httpClient(new GatewayTwilioHttpClient(gw.app.httpPort()))
        .build();
  }

  @Test
  void twilioJavaSendsThroughTheGatewayAndSeesRefusalsAsApiExceptions() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    TwilioRestClient client = twilio(key.vaultKey());

    Message m =
        Message.creator(
                new PhoneNumber(Gateway.US_NUMBER), new PhoneNumber("+15005550006"), "from the SDK")
            .create(client);
    assertThat(m.getSid()).startsWith("SM");
    assertThat(m.getPrice()).isNull();
    assertThat(gw.twilio.received()).hasSize(1);
    assertThat(gw.twilio.received().get(0).path()).contains(Gateway.TWILIO_SID);

    assertThatThrownBy(
            () ->
                Message.creator(
                        new PhoneNumber(Gateway.NG_NUMBER),
                        new PhoneNumber("+15005550006"),
                        "to lagos")
                    .create(client))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("is not allowed")
        .satisfies(e -> assertThat(((ApiException) e).getStatusCode()).isEqualTo(403));
    assertThat(gw.twilio.received()).hasSize(1);
  }

  /**
   * The real Account SID never reaches the agent: in every Twilio answer it is the key's id, and
   * the URIs in the answer still work when followed through the gateway with the vault key.
   */
  @Test
  void twilioAnswersCarryTheKeyIdNotTheRealAccountSidAndTheSdkStillWorks() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    TwilioRestClient client = twilio(key.vaultKey());

    Message m =
        Message.creator(
                new PhoneNumber(Gateway.US_NUMBER), new PhoneNumber("+15005550006"), "masked")
            .create(client);

    assertThat(m.getAccountSid()).isEqualTo(key.id());
    assertThat(m.getUri())
        .isEqualTo("/2010-04-01/Accounts/" + key.id() + "/Messages/" + m.getSid() + ".json");
    assertThat(m.getSubresourceUris().toString()).doesNotContain(Gateway.TWILIO_SID);
    // the SDK fetches it again (its own path, the vault key as account)
    Message fetched = Message.fetcher(m.getSid()).fetch(client);
    assertThat(fetched.getSid()).isEqualTo(m.getSid());
    assertThat(fetched.getAccountSid()).isEqualTo(key.id());
    // the answer's uri, followed through the gateway, reaches the same message
    HttpResponse<String> followed =
        gw.get("/twilio" + m.getUri(), Gateway.basic(key.vaultKey(), "x"));
    assertThat(followed.statusCode()).as(followed.body()).isEqualTo(200);
    assertThat(gw.body(followed).get("sid").asText()).isEqualTo(m.getSid());
    assertThat(followed.body()).doesNotContain(Gateway.TWILIO_SID).doesNotContain(key.vaultKey());
    assertThat(followed.headers().map().toString()).doesNotContain(Gateway.TWILIO_SID);
    assertThat(followed.headers().firstValue("content-length"))
        .hasValue(Integer.toString(followed.body().getBytes(StandardCharsets.UTF_8).length));
    // the vendor itself was called with the real SID each time
    assertThat(gw.twilio.received()).hasSize(3);
    assertThat(gw.twilio.received())
        .allSatisfy(r -> assertThat(r.path()).contains(Gateway.TWILIO_SID));

    // a replay (the same message again, within the dedup window) is masked too
    HttpResponse<String> first = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "twice");
    HttpResponse<String> again = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "twice");
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.headers().firstValue("x-keybrake-dedup")).hasValue("replay");
    assertThat(again.body()).isEqualTo(first.body()).doesNotContain(Gateway.TWILIO_SID);
    assertThat(gw.body(again).get("account_sid").asText()).isEqualTo(key.id());
    assertThat(gw.twilio.received()).hasSize(4);
  }

  @Test
  void stripeJavaSendsThroughTheGatewayAndSeesRefusalsAsStripeExceptions() throws Exception {
    Gateway.Key key =
        gw.createStripeKey(
            "{\"daily_usd_cap\":10,\"allowed_endpoints\":[\"payment_intents.create\"]}");
    StripeClient stripe =
        StripeClient.builder()
            .setApiKey(key.vaultKey())
            .setApiBase("http://127.0.0.1:" + gw.app.httpPort())
            .build();

    PaymentIntent pi =
        stripe
            .paymentIntents()
            .create(PaymentIntentCreateParams.builder().setAmount(500L).setCurrency("usd").build());
    assertThat(pi.getId()).startsWith("pi_");
    assertThat(gw.stripe.received()).hasSize(1);
    assertThat(gw.stripe.received().get(0).header("authorization"))
        .contains("Bearer " + Gateway.STRIPE_KEY);

    assertThatThrownBy(
            () ->
                stripe
                    .paymentIntents()
                    .create(
                        PaymentIntentCreateParams.builder()
                            .setAmount(2_000L)
                            .setCurrency("usd")
                            .build()))
        .isInstanceOf(StripeException.class)
        .hasMessageContaining("exhausted")
        .satisfies(e -> assertThat(((StripeException) e).getStatusCode()).isEqualTo(429));
    assertThat(gw.stripe.received()).hasSize(1);
  }
}
