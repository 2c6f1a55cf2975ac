package io.keybrake.harness.envoy;

import static io.keybrake.harness.envoy.Answers.proceed;
import static io.keybrake.harness.envoy.Answers.setRaw;
import static io.keybrake.harness.envoy.Answers.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.keybrake.harness.sim.RecordedRequest;
import io.keybrake.harness.sim.TwilioSimulator;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Client, a credential-swapping processor and a vendor simulator, end to end. */
class ThroughSimulatorIT {
  private static final String SID = "AC0123456789abcdef0123456789abcdef";
  private final TwilioSimulator twilio = new TwilioSimulator(SID, "real-token").start();
  private FakeProcessor processor;

  @AfterEach
  void stop() {
    twilio.close();
    if (processor != null) {
      processor.close();
    }
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void processorSwapsTheVaultKeyForTheRealCredentialBeforeTheVendorSeesIt() throws Exception {
    CommonResponse swap =
        CommonResponse.newBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addSetHeaders(setRaw("authorization", basic(SID, "real-token"))))
            .build();
    processor =
        new FakeProcessor(
            (req, out) -> out.onNext(req.hasRequestHeaders() ? with(req, swap) : proceed(req)),
            true);
    EnvoyExtProcClient client = new EnvoyExtProcClient(processor.channel);
    HttpRequest send =
        HttpRequest.of(
            "POST",
            URI.create("https://api.twilio.com/2010-04-01/Accounts/" + SID + "/Messages.json"),
            List.of(
                Map.entry("authorization", basic(SID, "vault_key_abc")),
                Map.entry("content-type", "application/x-www-form-urlencoded")),
            "To=%2B14155550100&From=%2B14155550199&Body=Hi".getBytes(StandardCharsets.UTF_8));

    HttpResult result = client.exchange(send, HttpUpstream.to(twilio.baseUri()));

    assertThat(result.status()).isEqualTo(201);
    assertThat(result.bodyText()).contains("\"status\":\"queued\"");
    RecordedRequest seen = twilio.received().get(0);
    assertThat(seen.header("authorization")).contains(basic(SID, "real-token"));
    assertThat(seen.form().first("Body")).contains("Hi");

    HttpResult refused =
        new EnvoyExtProcClient(processor.channel)
            .exchange(send, request -> HttpUpstream.to(twilio.baseUri()).call(send));
    assertThat(refused.status()).isEqualTo(401);
  }
}
