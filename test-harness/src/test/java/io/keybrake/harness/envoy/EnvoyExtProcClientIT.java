package io.keybrake.harness.envoy;

import static io.keybrake.harness.envoy.Answers.proceed;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase;
import io.grpc.Status;
import io.keybrake.harness.load.LoadGenerator;
import io.keybrake.harness.load.LoadReport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client over a real HTTP/2 gRPC connection, concurrently and with a client that leaves. */
class EnvoyExtProcClientIT {
  private FakeProcessor processor;

  @AfterEach
  void stop() {
    processor.close();
  }

  private static HttpRequest post() {
    return new HttpRequest(
        "POST",
        "/v1/payouts",
        "api.stripe.com",
        "https",
        List.of(Map.entry("authorization", "Bearer vault_key_x")),
        "amount=100&currency=usd".getBytes(StandardCharsets.UTF_8));
  }

  private static final Upstream VENDOR =
      request -> HttpResult.of(200, List.of(Map.entry("content-type", "application/json")), "{}");

  @Test
  void concurrentExchangesEachGetTheirOwnStreamAndAnswers() throws Exception {
    processor = new FakeProcessor((req, out) -> out.onNext(proceed(req)), true);
    // Two shared cores and a cold JVM: this test is about concurrency, not the 200 ms timer.
    EnvoyExtProcClient client =
        new EnvoyExtProcClient(
            processor.channel, ExtProcConfig.defaults().withMessageTimeout(Duration.ofSeconds(5)));

    LoadReport report =
        LoadGenerator.closedLoop(8, Duration.ofSeconds(30))
            .maxExchanges(400)
            .run(
                () -> {
                  HttpResult r = client.exchange(post(), VENDOR);
                  return r.status() == 200 && r.trace().sequence().size() == 8;
                });

    assertThat(report.completed()).isEqualTo(400);
    assertThat(report.failed()).isZero();
    assertThat(processor.received).hasSize(1600);
  }

  @Test
  void clientLeavingDuringRequestBodyIsSeenAsCancelledOverHttp2() throws Exception {
    // The processor answers headers but keeps working on the body when the client leaves.
    processor =
        new FakeProcessor(
            (req, out) -> {
              if (req.hasRequestHeaders()) {
                out.onNext(proceed(req));
              }
            },
            true);
    EnvoyExtProcClient client =
        new EnvoyExtProcClient(
            processor.channel, ExtProcConfig.defaults().withMessageTimeout(Duration.ofMillis(300)));

    HttpResult result = client.exchange(post().cancelAfter(Phase.REQUEST_BODY), VENDOR);

    assertThat(result.status()).isEqualTo(HttpResult.CLIENT_GONE);
    assertThat(processor.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(processor.cancelStatus.get().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(processor.receivedCases())
        .containsExactly(RequestCase.REQUEST_HEADERS, RequestCase.REQUEST_BODY);
  }
}
