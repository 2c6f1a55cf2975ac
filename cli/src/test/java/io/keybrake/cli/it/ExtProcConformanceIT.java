package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.ExtProcConfig;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import io.keybrake.harness.envoy.Phase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ext_proc server as Envoy sees it, through the Envoy-faithful harness client over a real gRPC
 * connection (no local gateway).
 */
class ExtProcConformanceIT {
  @TempDir Path dir;
  Gateway gw;
  ManagedChannel channel;
  EnvoyExtProcClient envoy;
  final AtomicInteger upstreamCalls = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    gw = new Gateway(dir);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.app.grpcPort()).usePlaintext().build();
    // exactly the ext_proc timeouts the control plane gives Envoy (and the shipped YAML holds)
    var xds = io.keybrake.controlplane.xds.XdsSettings.defaults();
    envoy =
        new EnvoyExtProcClient(
            channel,
            ExtProcConfig.defaults()
                .withMessageTimeout(xds.messageTimeout())
                .withMaxMessageTimeout(xds.maxMessageTimeout()));
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    gw.close();
  }

  private HttpResult vendor(HttpRequest req) {
    upstreamCalls.incrementAndGet();
    String sid = "SM" + "0".repeat(31) + upstreamCalls.get();
    return HttpResult.of(
        201,
        List.of(Map.entry("content-type", "application/json")),
        "{\"sid\":\"" + sid + "\",\"price\":null,\"status\":\"queued\"}");
  }

  private static HttpRequest sms(String vaultKey, String to) {
    byte[] body = Gateway.form(Gateway.sms(to, "conformance")).getBytes(StandardCharsets.UTF_8);
    return new HttpRequest(
        "POST",
        "/2010-04-01/Accounts/" + vaultKey + "/Messages.json",
        "api.twilio.com",
        "https",
        List.of(
            Map.entry("authorization", Gateway.basic(vaultKey, "x")),
            Map.entry("content-type", "application/x-www-form-urlencoded")),
        body);
  }

  private static List<HeaderValue> headerValuesIn(ProcessingResponse r) {
    List<HeaderValue> out = new ArrayList<>();
    List<HeaderValueOption> opts = new ArrayList<>();
    if (r.hasImmediateResponse()) {
      opts.addAll(r.getImmediateResponse().getHeaders().getSetHeadersList());
    }
    for (var common :
        List.of(
            r.getRequestHeaders().getResponse(),
            r.getRequestBody().getResponse(),
            r.getResponseHeaders().getResponse(),
            r.getResponseBody().getResponse())) {
      opts.addAll(common.getHeaderMutation().getSetHeadersList());
    }
    opts.forEach(o -> out.add(o.getHeader()));
    return out;
  }

  @Test
  void allowedCallIsRewrittenWithRawValueHeadersOnly() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    List<HttpRequest> forwarded = new ArrayList<>();
    HttpResult r =
        envoy.exchange(
            sms(key.vaultKey(), Gateway.US_NUMBER),
            req -> {
              forwarded.add(req);
              return vendor(req);
            });

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.trace().localError()).isEmpty();
    assertThat(r.trace().spurious()).isFalse();
    assertThat(forwarded).hasSize(1);
    assertThat(forwarded.get(0).path()).contains(Gateway.TWILIO_SID).doesNotContain("vault_key_");
    assertThat(forwarded.get(0).header("authorization"))
        .contains(Gateway.basic(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN));
    assertThat(forwarded.get(0).header("x-keybrake-key-id")).contains(key.id());
    assertThat(r.header("x-keybrake-spent-usd")).isPresent();
    List<HeaderValue> written = new ArrayList<>();
    r.trace().received().forEach(m -> written.addAll(headerValuesIn(m)));
    assertThat(written).isNotEmpty();
    assertThat(written).allSatisfy(h -> assertThat(h.getValue()).isEmpty());
    assertThat(written).allSatisfy(h -> assertThat(h.getRawValue().isEmpty()).isFalse());
    assertThat(r.trace().sent())
        .extracting(ProcessingRequest::getRequestCase)
        .containsExactly(
            ProcessingRequest.RequestCase.REQUEST_HEADERS,
            ProcessingRequest.RequestCase.REQUEST_BODY,
            ProcessingRequest.RequestCase.RESPONSE_HEADERS,
            ProcessingRequest.RequestCase.RESPONSE_BODY);
  }

  @Test
  void refusalIsAnImmediateResponseAndEndsProcessing() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    HttpResult r = envoy.exchange(sms(key.vaultKey(), Gateway.NG_NUMBER), this::vendor);

    assertThat(r.status()).isEqualTo(403);
    assertThat(upstreamCalls).hasValue(0);
    List<ProcessingResponse> answers = r.trace().received();
    assertThat(answers.get(answers.size() - 1).hasImmediateResponse()).isTrue();
    assertThat(r.trace().sent())
        .extracting(ProcessingRequest::getRequestCase)
        .doesNotContain(
            ProcessingRequest.RequestCase.RESPONSE_HEADERS,
            ProcessingRequest.RequestCase.RESPONSE_BODY);
    JsonNode body = gw.json.readTree(r.body());
    assertThat(body.get("keybrake_code").asText()).isEqualTo("destination_not_allowed");
  }

  @Test
  void bodylessRequestGetsNoBodyPhase() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    HttpRequest get =
        new HttpRequest(
            "GET",
            "/2010-04-01/Accounts/" + key.vaultKey() + "/Messages/SM" + "1".repeat(32) + ".json",
            "api.twilio.com",
            "https",
            List.of(Map.entry("authorization", Gateway.basic(key.vaultKey(), "x"))),
            null);
    HttpResult r =
        envoy.exchange(
            get,
            req ->
                HttpResult.of(
                    200,
                    List.of(Map.entry("content-type", "application/json")),
                    "{\"sid\":\"SMx\"}"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.trace().sent())
        .extracting(ProcessingRequest::getRequestCase)
        .doesNotContain(ProcessingRequest.RequestCase.REQUEST_BODY);
  }

  @Test
  void streamCancelledByTheClientFreesItsStateAndKeepsTheReservationUnsettled() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    HttpResult r =
        envoy.exchange(
            sms(key.vaultKey(), Gateway.US_NUMBER).cancelAfter(Phase.UPSTREAM), this::vendor);

    assertThat(r.status()).isEqualTo(HttpResult.CLIENT_GONE);
    assertThat(upstreamCalls).hasValue(1);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(gw.app.streamMetrics().openStreams()).isZero());
    JsonNode rows = gw.audit(key.id());
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("settlement").asText()).isEqualTo("unsettled");
    JsonNode spend = gw.spend(key.id());
    assertThat(spend.get("reserved_usd").decimalValue()).isPositive();

    HttpResult retry = envoy.exchange(sms(key.vaultKey(), Gateway.US_NUMBER), this::vendor);
    assertThat(upstreamCalls)
        .as("a retry of a call with unknown outcome is not sent again")
        .hasValue(1);
    assertThat(retry.status()).isEqualTo(409);
  }

  /**
   * A Twilio answer is read even for an endpoint that costs nothing: the real Account SID in it is
   * masked (see the next test), so the body phase is not skipped by a mode override.
   */
  @Test
  void freeTwilioEndpointStillSendsTheBodyToBeMasked() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    HttpRequest get =
        new HttpRequest(
            "GET",
            "/2010-04-01/Accounts/" + key.vaultKey() + "/Messages/SM" + "2".repeat(32) + ".json",
            "api.twilio.com",
            "https",
            List.of(Map.entry("authorization", Gateway.basic(key.vaultKey(), "x"))),
            null);
    HttpResult r =
        envoy.exchange(
            get,
            req ->
                HttpResult.of(
                    200,
                    List.of(Map.entry("content-type", "application/json")),
                    "{\"sid\":\"SM2\",\"price\":\"-0.0083\"}"));

    assertThat(r.status()).as(r.trace().toString() + r.bodyText()).isEqualTo(200);
    assertThat(r.bodyText()).contains("SM2");
    assertThat(r.trace().sent())
        .extracting(ProcessingRequest::getRequestCase)
        .containsExactly(
            ProcessingRequest.RequestCase.REQUEST_HEADERS,
            ProcessingRequest.RequestCase.RESPONSE_HEADERS,
            ProcessingRequest.RequestCase.RESPONSE_BODY);
    assertThat(r.trace().received().get(1).hasModeOverride()).isFalse();
    assertThat(r.header("x-keybrake-spent-usd")).contains("0.00");
  }

  /**
   * A Twilio answer quoting the real Account SID (body and a header) reaches the agent with the
   * key's id instead, through a body mutation whose content-length Envoy accepts.
   */
  @Test
  void twilioAnswersAreMaskedByABodyMutationWithItsContentLength() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    String sid = Gateway.TWILIO_SID;
    String base = "/2010-04-01/Accounts/" + sid + "/Messages/SM" + "2".repeat(32);
    HttpRequest get =
        new HttpRequest(
            "GET",
            "/2010-04-01/Accounts/" + key.vaultKey() + "/Messages/SM" + "2".repeat(32) + ".json",
            "api.twilio.com",
            "https",
            List.of(Map.entry("authorization", Gateway.basic(key.vaultKey(), "x"))),
            null);
    String answer =
        "{\"sid\":\"SM2\",\"account_sid\":\""
            + sid
            + "\",\"uri\":\""
            + base
            + ".json\",\"subresource_uris\":{\"media\":\""
            + base
            + "/Media.json\"},\"price\":\"-0.0083\"}";
    HttpResult r =
        envoy.exchange(
            get,
            req ->
                HttpResult.of(
                    200,
                    List.of(
                        Map.entry("content-type", "application/json"),
                        Map.entry("content-location", "https://api.twilio.com" + base + ".json")),
                    answer));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.trace().localError()).isEmpty();
    assertThat(r.bodyText()).isEqualTo(answer.replace(sid, key.id()));
    assertThat(r.header("content-location"))
        .contains("https://api.twilio.com" + base.replace(sid, key.id()) + ".json");
    assertThat(r.header("content-length"))
        .contains(Integer.toString(r.bodyText().getBytes(StandardCharsets.UTF_8).length));
  }

  @Test
  void waitingOnAnInFlightDuplicateExtendsTheMessageTimeout() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    java.util.concurrent.CountDownLatch forwarded = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<HttpResult> first =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                envoy.exchange(
                    sms(key.vaultKey(), Gateway.US_NUMBER),
                    req -> {
                      forwarded.countDown();
                      // a slow vendor: longer than Envoy's 500 ms message timeout
                      java.util.concurrent.locks.LockSupport.parkNanos(
                          Duration.ofMillis(900).toNanos());
                      return vendor(req);
                    }));
    assertThat(forwarded.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    HttpResult duplicate = envoy.exchange(sms(key.vaultKey(), Gateway.US_NUMBER), this::vendor);

    assertThat(first.get().status()).isEqualTo(201);
    assertThat(duplicate.status()).isEqualTo(201);
    assertThat(duplicate.header("x-keybrake-dedup")).contains("replay");
    assertThat(duplicate.trace().received())
        .anySatisfy(m -> assertThat(m.hasOverrideMessageTimeout()).isTrue());
    assertThat(upstreamCalls).hasValue(1);
  }

  @Test
  void cancellationAtEveryPhaseFreesTheStream() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    int i = 0;
    for (Phase phase :
        List.of(
            Phase.REQUEST_HEADERS, Phase.REQUEST_BODY, Phase.UPSTREAM, Phase.RESPONSE_HEADERS)) {
      byte[] body =
          Gateway.form(Gateway.sms(Gateway.US_NUMBER, "cancel " + i++))
              .getBytes(StandardCharsets.UTF_8);
      HttpRequest req = sms(key.vaultKey(), Gateway.US_NUMBER);
      req =
          new HttpRequest(
                  req.method(), req.path(), req.authority(), req.scheme(), req.headers(), body)
              .cancelAfter(phase);
      HttpResult r = envoy.exchange(req, this::vendor);
      assertThat(r.status()).as(phase.name()).isEqualTo(HttpResult.CLIENT_GONE);
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(gw.app.streamMetrics().openStreams()).isZero());
    }
    JsonNode rows = gw.audit(key.id());
    // cancelled before the decision: no row; after it: the call may have reached the vendor
    assertThat(rows).hasSize(3);
    assertThat(rows)
        .allSatisfy(r -> assertThat(r.get("settlement").asText()).isEqualTo("unsettled"));
  }
}
