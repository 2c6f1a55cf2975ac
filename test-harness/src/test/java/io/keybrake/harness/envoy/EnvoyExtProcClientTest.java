package io.keybrake.harness.envoy;

import static io.keybrake.harness.envoy.Answers.proceed;
import static io.keybrake.harness.envoy.Answers.setRaw;
import static io.keybrake.harness.envoy.Answers.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EnvoyExtProcClientTest {
  private static final byte[] FORM = "To=%2B15551234567&Body=hi".getBytes(StandardCharsets.UTF_8);

  private final List<HttpRequest> upstreamCalls = new CopyOnWriteArrayList<>();
  private final Upstream vendor =
      request -> {
        upstreamCalls.add(request);
        return HttpResult.of(
            201, List.of(Map.entry("Content-Type", "application/json")), "{\"sid\":\"SM1\"}");
      };
  private FakeProcessor processor;

  @AfterEach
  void stop() {
    if (processor != null) {
      processor.close();
    }
  }

  private EnvoyExtProcClient client(FakeProcessor.Script script, ExtProcConfig config)
      throws Exception {
    processor = new FakeProcessor(script);
    return new EnvoyExtProcClient(processor.channel, config);
  }

  private EnvoyExtProcClient client(FakeProcessor.Script script) throws Exception {
    return client(script, ExtProcConfig.defaults());
  }

  private static HttpRequest post() {
    return new HttpRequest(
        "POST",
        "/2010-04-01/Accounts/AC1/Messages.json",
        "api.twilio.com",
        "https",
        List.of(
            Map.entry("Authorization", "Basic dmF1bHQ="),
            Map.entry("Content-Type", "application/x-www-form-urlencoded")),
        FORM);
  }

  private static HttpRequest get() {
    return new HttpRequest(
        "GET",
        "/v1/balance",
        "api.stripe.com",
        "https",
        List.of(Map.entry("Authorization", "Bearer vault_key_x")),
        null);
  }

  @Test
  void sendsEveryPhaseInOrderWithPseudoHeadersFirstAndRawValuesOnly() throws Exception {
    EnvoyExtProcClient client = client((req, out) -> out.onNext(proceed(req)));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(201);
    assertThat(result.bodyText()).isEqualTo("{\"sid\":\"SM1\"}");
    assertThat(result.header("content-type")).contains("application/json");
    assertThat(result.trace().sequence())
        .containsExactly(
            ">request_headers",
            "<request_headers",
            ">request_body",
            "<request_body",
            ">response_headers",
            "<response_headers",
            ">response_body",
            "<response_body");
    assertThat(processor.receivedCases())
        .containsExactly(
            RequestCase.REQUEST_HEADERS,
            RequestCase.REQUEST_BODY,
            RequestCase.RESPONSE_HEADERS,
            RequestCase.RESPONSE_BODY);

    ProcessingRequest headers = processor.received.get(0);
    assertThat(headers.getRequestHeaders().getEndOfStream()).isFalse();
    List<HeaderValue> sent = headers.getRequestHeaders().getHeaders().getHeadersList();
    assertThat(sent.subList(0, 4))
        .extracting(HeaderValue::getKey)
        .containsExactly(":method", ":path", ":authority", ":scheme");
    assertThat(sent.subList(0, 4))
        .extracting(h -> h.getRawValue().toStringUtf8())
        .containsExactly(
            "POST", "/2010-04-01/Accounts/AC1/Messages.json", "api.twilio.com", "https");
    assertThat(sent).allSatisfy(h -> assertThat(h.getValue()).isEmpty());
    assertThat(sent).allSatisfy(h -> assertThat(h.getKey()).isLowerCase());
    assertThat(sent)
        .extracting(HeaderValue::getKey)
        .contains("authorization", "content-type", "content-length", "x-request-id");

    ProcessingRequest body = processor.received.get(1);
    assertThat(body.getRequestBody().getEndOfStream()).isTrue();
    assertThat(body.getRequestBody().getBody().toByteArray()).isEqualTo(FORM);

    List<HeaderValue> response =
        processor.received.get(2).getResponseHeaders().getHeaders().getHeadersList();
    assertThat(response.get(0).getKey()).isEqualTo(":status");
    assertThat(response.get(0).getRawValue().toStringUtf8()).isEqualTo("201");
    assertThat(response).allSatisfy(h -> assertThat(h.getValue()).isEmpty());
    assertThat(processor.received.get(3).getResponseBody().getEndOfStream()).isTrue();

    assertThat(upstreamCalls).hasSize(1);
    assertThat(upstreamCalls.get(0).body()).isEqualTo(FORM);
    assertThat(processor.halfClosed.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void bodylessRequestSendsHeadersWithEndOfStreamAndNoBodyMessage() throws Exception {
    EnvoyExtProcClient client = client((req, out) -> out.onNext(proceed(req)));

    HttpResult result = client.exchange(get(), vendor);

    assertThat(result.status()).isEqualTo(201);
    assertThat(processor.received.get(0).getRequestHeaders().getEndOfStream()).isTrue();
    assertThat(processor.receivedCases())
        .containsExactly(
            RequestCase.REQUEST_HEADERS, RequestCase.RESPONSE_HEADERS, RequestCase.RESPONSE_BODY);
  }

  @Test
  void headerMutationsWithRouteCacheClearReachTheUpstream() throws Exception {
    CommonResponse swap =
        CommonResponse.newBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addSetHeaders(setRaw("authorization", "Basic cmVhbA=="))
                    .addSetHeaders(setRaw(":path", "/2010-04-01/Accounts/ACreal/Messages.json"))
                    .addRemoveHeaders("x-request-id"))
            .setClearRouteCache(true)
            .build();
    EnvoyExtProcClient client =
        client((req, out) -> out.onNext(req.hasRequestHeaders() ? with(req, swap) : proceed(req)));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(201);
    assertThat(result.trace().routeCacheCleared()).isTrue();
    HttpRequest forwarded = upstreamCalls.get(0);
    assertThat(forwarded.header("authorization")).contains("Basic cmVhbA==");
    assertThat(forwarded.headerValues("authorization")).hasSize(1);
    assertThat(forwarded.path()).isEqualTo("/2010-04-01/Accounts/ACreal/Messages.json");
    assertThat(forwarded.header("x-request-id")).isEmpty();
  }

  @Test
  void routingHeaderMutationIsIgnoredByDefaultAndAnErrorUnderDisallowIsError() throws Exception {
    CommonResponse hostChange =
        CommonResponse.newBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addSetHeaders(setRaw(":authority", "evil.example"))
                    .addSetHeaders(setRaw("x-envoy-original-path", "/x")))
            .build();
    FakeProcessor.Script script =
        (req, out) -> out.onNext(req.hasRequestHeaders() ? with(req, hostChange) : proceed(req));

    HttpResult ignored = client(script).exchange(post(), vendor);
    assertThat(ignored.status()).isEqualTo(201);
    assertThat(upstreamCalls.get(0).authority()).isEqualTo("api.twilio.com");
    assertThat(upstreamCalls.get(0).header("x-envoy-original-path")).isEmpty();
    assertThat(ignored.trace().notes())
        .contains(
            "mutation ignored: set :authority", "mutation ignored: set x-envoy-original-path");
    processor.close();

    ExtProcConfig strict =
        ExtProcConfig.defaults()
            .withMutationRules(MutationRules.DEFAULTS.withDisallowIsError(true));
    HttpResult refused = client(script, strict).exchange(post(), vendor);
    assertThat(refused.status()).isEqualTo(500);
    assertThat(refused.trace().localError()).contains("Invalid attempt to modify :authority");
    assertThat(upstreamCalls).hasSize(1);

    processor.close();
    ExtProcConfig routing =
        ExtProcConfig.defaults()
            .withMutationRules(MutationRules.DEFAULTS.withAllowAllRouting(true));
    client(script, routing).exchange(post(), vendor);
    assertThat(upstreamCalls.get(1).authority()).isEqualTo("evil.example");
  }

  @Test
  void immediateResponseIsReturnedAndNothingMoreIsSent() throws Exception {
    ProcessingResponse refusal =
        ProcessingResponse.newBuilder()
            .setImmediateResponse(
                ImmediateResponse.newBuilder()
                    .setStatus(HttpStatus.newBuilder().setCode(StatusCode.TooManyRequests))
                    .setHeaders(
                        HeaderMutation.newBuilder()
                            .addSetHeaders(setRaw("content-type", "application/json")))
                    .setBody(ByteString.copyFromUtf8("{\"code\":\"cap_exhausted\"}"))
                    .setDetails("cap exhausted"))
            .build();
    EnvoyExtProcClient client = client((req, out) -> out.onNext(refusal));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(429);
    assertThat(result.bodyText()).isEqualTo("{\"code\":\"cap_exhausted\"}");
    assertThat(result.headerValues("content-type")).containsExactly("application/json");
    assertThat(result.header("content-length")).contains("24");
    assertThat(result.trace().sequence())
        .containsExactly(">request_headers", "<immediate_response");
    assertThat(result.trace().localReplyDetails()).isEqualTo("cap_exhausted");
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
    assertThat(upstreamCalls).isEmpty();
  }

  @Test
  void headerValueWithBothValueAndRawValueGives500() throws Exception {
    CommonResponse both =
        CommonResponse.newBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addSetHeaders(
                        HeaderValueOption.newBuilder()
                            .setHeader(
                                HeaderValue.newBuilder()
                                    .setKey("authorization")
                                    .setValue("Basic cmVhbA==")
                                    .setRawValue(ByteString.copyFromUtf8("Basic cmVhbA==")))))
            .build();
    EnvoyExtProcClient client = client((req, out) -> out.onNext(with(req, both)));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(500);
    assertThat(result.trace().localError())
        .contains("Only one of value or raw_value in the HeaderValue message should be set.");
    assertThat(upstreamCalls).isEmpty();
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
  }

  @Test
  void valueWithoutRawValueSetsAnEmptyHeader() throws Exception {
    CommonResponse valueOnly =
        CommonResponse.newBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addSetHeaders(
                        HeaderValueOption.newBuilder()
                            .setHeader(
                                HeaderValue.newBuilder()
                                    .setKey("authorization")
                                    .setValue("Basic cmVhbA=="))))
            .build();
    EnvoyExtProcClient client =
        client(
            (req, out) ->
                out.onNext(req.hasRequestHeaders() ? with(req, valueOnly) : proceed(req)));

    client.exchange(post(), vendor);

    assertThat(upstreamCalls.get(0).header("authorization")).contains("");
  }

  @Test
  void answerOfTheWrongTypeIsSpuriousAndEnvoyContinuesWithoutTheProcessor() throws Exception {
    // Answers request_body to request_headers: Envoy drops the stream and forwards unprocessed.
    ProcessingResponse wrong =
        ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build();
    EnvoyExtProcClient client = client((req, out) -> out.onNext(wrong));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.trace().spurious()).isTrue();
    assertThat(result.status()).isEqualTo(201);
    assertThat(upstreamCalls.get(0).header("authorization")).contains("Basic dmF1bHQ=");
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
    assertThat(result.trace().sequence()).containsExactly(">request_headers", "<request_body");
  }

  @Test
  void answerForAPhaseNeverSentIsSpuriousAndStopsProcessing() throws Exception {
    // Bodyless GET: the processor answers request_headers and also a request_body never sent.
    EnvoyExtProcClient client =
        client(
            (req, out) -> {
              out.onNext(proceed(req));
              if (req.hasRequestHeaders()) {
                out.onNext(
                    ProcessingResponse.newBuilder()
                        .setRequestBody(BodyResponse.getDefaultInstance())
                        .build());
              }
            });

    HttpResult result = client.exchange(get(), vendor);

    assertThat(result.trace().spurious()).isTrue();
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
    assertThat(result.trace().sequence())
        .containsExactly(">request_headers", "<request_headers", "<request_body");
  }

  @Test
  void extraAnswerAfterTheLastPhaseIsRecordedAsSpuriousButChangesNothing() throws Exception {
    EnvoyExtProcClient client =
        client(
            (req, out) -> {
              out.onNext(proceed(req));
              if (req.hasResponseBody()) {
                out.onNext(proceed(req));
              }
            });

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(201);
    assertThat(result.trace().spurious()).isTrue();
    assertThat(result.trace().sequence()).endsWith("<response_body", "<response_body");
  }

  @Test
  void processorThatNeverAnswersGives504() throws Exception {
    ExtProcConfig config =
        ExtProcConfig.defaults().withMessageTimeout(java.time.Duration.ofMillis(50));
    EnvoyExtProcClient client = client((req, out) -> {}, config);

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(504);
    assertThat(result.trace().localError()).contains("ext_proc_error_per-message_timeout_exceeded");
    assertThat(upstreamCalls).isEmpty();
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
  }

  @Test
  void overrideMessageTimeoutExtendsTheWaitOnlyWhenAllowed() throws Exception {
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      FakeProcessor.Script slow =
          (req, out) -> {
            if (req.hasRequestHeaders()) {
              out.onNext(
                  ProcessingResponse.newBuilder()
                      .setOverrideMessageTimeout(Duration.newBuilder().setSeconds(2))
                      .build());
              later.schedule(() -> out.onNext(proceed(req)), 150, TimeUnit.MILLISECONDS);
            } else {
              out.onNext(proceed(req));
            }
          };
      ExtProcConfig base =
          ExtProcConfig.defaults().withMessageTimeout(java.time.Duration.ofMillis(50));

      HttpResult refused = client(slow, base).exchange(get(), vendor);
      assertThat(refused.status()).isEqualTo(504);
      assertThat(refused.trace().notes())
          .contains("override_message_timeout ignored: 2000 ms is out of range");
      processor.close();

      ExtProcConfig allowed = base.withMaxMessageTimeout(java.time.Duration.ofSeconds(5));
      HttpResult extended = client(slow, allowed).exchange(get(), vendor);
      assertThat(extended.status()).isEqualTo(201);
      assertThat(extended.trace().sequence())
          .startsWith(">request_headers", "<override_message_timeout", "<request_headers");
    } finally {
      later.shutdownNow();
    }
  }

  @Test
  void grpcErrorGives500() throws Exception {
    EnvoyExtProcClient client =
        client((req, out) -> out.onError(Status.UNAVAILABLE.asRuntimeException()));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(500);
    assertThat(result.trace().localError()).contains("ext_proc_error_gRPC_error_14");
    assertThat(upstreamCalls).isEmpty();
  }

  @Test
  void cleanCloseBeforeAllAnswersMakesEnvoyContinueWithoutTheProcessor() throws Exception {
    EnvoyExtProcClient client = client((req, out) -> out.onCompleted());

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(201);
    assertThat(result.trace().notes())
        .contains("processor closed the stream; continuing without the processor");
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
  }

  @Test
  void cancelAfterRequestHeadersIsSeenAsCancelledByTheProcessor() throws Exception {
    EnvoyExtProcClient client =
        client(
            (req, out) -> {},
            ExtProcConfig.defaults().withMessageTimeout(java.time.Duration.ofMillis(50)));

    HttpResult result = client.exchange(post().cancelAfter(Phase.REQUEST_HEADERS), vendor);

    assertThat(result.status()).isEqualTo(HttpResult.CLIENT_GONE);
    assertThat(processor.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(processor.cancelStatus.get().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(processor.receivedCases()).containsExactly(RequestCase.REQUEST_HEADERS);
    assertThat(upstreamCalls).isEmpty();
  }

  @Test
  void cancelAfterRequestBodyRecordsTheAnswerButNeverCallsTheVendor() throws Exception {
    EnvoyExtProcClient client = client((req, out) -> out.onNext(proceed(req)));

    HttpResult result = client.exchange(post().cancelAfter(Phase.REQUEST_BODY), vendor);

    assertThat(result.status()).isEqualTo(HttpResult.CLIENT_GONE);
    assertThat(result.trace().sequence())
        .containsExactly(">request_headers", "<request_headers", ">request_body", "<request_body");
    assertThat(result.trace().localReplyDetails()).isEqualTo("downstream_remote_disconnect");
    assertThat(processor.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(processor.cancelStatus.get().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(upstreamCalls).isEmpty();
  }

  @Test
  void cancelAfterUpstreamLeavesTheVendorCalledAndNoResponsePhase() throws Exception {
    EnvoyExtProcClient client = client((req, out) -> out.onNext(proceed(req)));

    HttpResult result = client.exchange(post().cancelAfter(Phase.UPSTREAM), vendor);

    assertThat(result.status()).isEqualTo(HttpResult.CLIENT_GONE);
    assertThat(upstreamCalls).hasSize(1);
    assertThat(processor.receivedCases())
        .containsExactly(RequestCase.REQUEST_HEADERS, RequestCase.REQUEST_BODY);
    assertThat(processor.halfClosed.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void modeOverrideInHeadersAnswerSkipsTheResponseBody() throws Exception {
    ProcessingMode noResponseBody =
        ExtProcConfig.KEYBRAKE_MODE.toBuilder()
            .setResponseBodyMode(ProcessingMode.BodySendMode.NONE)
            .build();
    EnvoyExtProcClient client =
        client(
            (req, out) ->
                out.onNext(
                    req.hasRequestHeaders()
                        ? proceed(req).toBuilder().setModeOverride(noResponseBody).build()
                        : proceed(req)));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(201);
    assertThat(processor.receivedCases())
        .containsExactly(
            RequestCase.REQUEST_HEADERS, RequestCase.REQUEST_BODY, RequestCase.RESPONSE_HEADERS);
  }

  @Test
  void bodyMutationMustAgreeWithContentLength() throws Exception {
    byte[] rewritten = "To=%2B15551234567&Body=hi&TimeLimit=60".getBytes(StandardCharsets.UTF_8);
    CommonResponse bodyOnly =
        CommonResponse.newBuilder()
            .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFrom(rewritten)))
            .build();
    FakeProcessor.Script mismatch =
        (req, out) -> out.onNext(req.hasRequestBody() ? with(req, bodyOnly) : proceed(req));
    HttpResult refused = client(mismatch).exchange(post(), vendor);
    assertThat(refused.status()).isEqualTo(500);
    assertThat(refused.trace().localError())
        .contains("mismatch between content length and the length of the mutated body");
    assertThat(upstreamCalls).isEmpty();
    processor.close();

    CommonResponse withLength =
        bodyOnly.toBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addSetHeaders(setRaw("content-length", Integer.toString(rewritten.length))))
            .build();
    FakeProcessor.Script consistent =
        (req, out) -> out.onNext(req.hasRequestBody() ? with(req, withLength) : proceed(req));
    HttpResult accepted = client(consistent).exchange(post(), vendor);
    assertThat(accepted.status()).isEqualTo(201);
    assertThat(upstreamCalls.get(0).body()).isEqualTo(rewritten);
  }

  @Test
  void requestBodyOverTheBufferLimitGets413() throws Exception {
    EnvoyExtProcClient client =
        client(
            (req, out) -> out.onNext(proceed(req)),
            ExtProcConfig.defaults().withBufferLimitBytes(8));

    HttpResult result = client.exchange(post(), vendor);

    assertThat(result.status()).isEqualTo(413);
    assertThat(result.bodyText()).isEqualTo("Payload Too Large");
    assertThat(upstreamCalls).isEmpty();
  }

  @Test
  void upstreamConnectionFailureIsA503ThatStillPassesTheResponsePhases() throws Exception {
    EnvoyExtProcClient client = client((req, out) -> out.onNext(proceed(req)));

    HttpResult result =
        client.exchange(
            post(),
            request -> {
              throw new java.net.ConnectException("refused");
            });

    assertThat(result.status()).isEqualTo(503);
    assertThat(processor.receivedCases())
        .containsExactly(
            RequestCase.REQUEST_HEADERS,
            RequestCase.REQUEST_BODY,
            RequestCase.RESPONSE_HEADERS,
            RequestCase.RESPONSE_BODY);
  }
}
