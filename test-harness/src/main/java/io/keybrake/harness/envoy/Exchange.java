package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse.ResponseCase;
import io.grpc.Channel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP exchange through Envoy's ext_proc filter: a single-use state machine driven by the
 * calling thread. Not thread-safe; {@link EnvoyExtProcClient} makes one per exchange.
 */
final class Exchange {
  private final ExtProcConfig config;
  private final Channel channel;
  private final HttpRequest request;
  private final Upstream upstream;
  private final ExchangeTrace trace = new ExchangeTrace();
  private final CommonResponses responses;
  private ProcessingMode mode;
  private ProcessorStream stream;
  private boolean complete;
  private HttpResult localReply;

  Exchange(ExtProcConfig config, Channel channel, HttpRequest request, Upstream upstream) {
    this.config = config;
    this.channel = channel;
    this.request = request;
    this.upstream = upstream;
    this.mode = config.processingMode();
    this.responses = new CommonResponses(config.mutationRules(), trace);
  }

  HttpResult run() throws InterruptedException {
    try {
      return process();
    } finally {
      closeStream();
    }
  }

  private HttpResult process() throws InterruptedException {
    List<Map.Entry<String, String>> headers = HttpMessages.requestHeaders(request, config);
    byte[] body = request.body();
    boolean hasBody = body.length > 0;

    if (mode.getRequestHeaderMode() != HeaderSendMode.SKIP) {
      send(
          ProcessingRequest.newBuilder()
              .setRequestHeaders(HttpMessages.httpHeaders(headers, !hasBody))
              .build());
      if (request.cancelAfter() == Phase.REQUEST_HEADERS) {
        return clientGone(true);
      }
      if (hasBody && bodyMode(true) && body.length > config.bufferLimitBytes()) {
        return local(413, "Payload Too Large", "request_payload_too_large");
      }
      ProcessingResponse answer = await(ResponseCase.REQUEST_HEADERS);
      if (localReply != null) {
        return localReply;
      }
      if (answer != null) {
        CommonResponse common = answer.getRequestHeaders().getResponse();
        Optional<String> error = responses.applyHeaders(common, headers, true);
        if (error.isPresent()) {
          return fail(500, error.get());
        }
        if (common.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE) {
          body = responses.replaceMessage(common, headers, body);
          mode = mode.toBuilder().setRequestBodyMode(BodySendMode.NONE).build();
        }
      }
    }

    if (!complete && hasBody && bodyMode(true)) {
      if (body.length > config.bufferLimitBytes()) {
        return local(413, "Payload Too Large", "request_payload_too_large");
      }
      send(ProcessingRequest.newBuilder().setRequestBody(HttpMessages.httpBody(body)).build());
      if (request.cancelAfter() == Phase.REQUEST_BODY) {
        return clientGone(true);
      }
      ProcessingResponse answer = await(ResponseCase.REQUEST_BODY);
      if (localReply != null) {
        return localReply;
      }
      if (answer != null) {
        CommonResponses.Mutated mutated =
            responses.applyBody(answer.getRequestBody().getResponse(), headers, body);
        if (mutated.error().isPresent()) {
          return fail(500, mutated.error().get());
        }
        body = mutated.body();
      }
    }

    HttpResult answered = callUpstream(HttpMessages.forwarded(headers, body));
    if (request.cancelAfter() == Phase.UPSTREAM) {
      return clientGone(false);
    }
    dropAnswersReceivedWhileIdle();
    if (localReply != null) {
      return localReply;
    }
    return processResponse(answered);
  }

  private HttpResult processResponse(HttpResult answered) throws InterruptedException {
    List<Map.Entry<String, String>> headers = HttpMessages.responseHeaders(answered);
    byte[] body = answered.body();
    boolean hasBody = body.length > 0;

    if (!complete && mode.getResponseHeaderMode() != HeaderSendMode.SKIP) {
      ProcessingRequest.Builder message =
          ProcessingRequest.newBuilder()
              .setResponseHeaders(HttpMessages.httpHeaders(headers, !hasBody));
      addResponseAttributes(message);
      send(message.build());
      if (request.cancelAfter() == Phase.RESPONSE_HEADERS) {
        return clientGone(true);
      }
      ProcessingResponse answer = await(ResponseCase.RESPONSE_HEADERS);
      if (localReply != null) {
        return localReply;
      }
      if (answer != null) {
        CommonResponse common = answer.getResponseHeaders().getResponse();
        Optional<String> error = responses.applyHeaders(common, headers, false);
        if (error.isPresent()) {
          return fail(500, error.get());
        }
        if (common.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE) {
          body = responses.replaceMessage(common, headers, body);
          mode = mode.toBuilder().setResponseBodyMode(BodySendMode.NONE).build();
        }
      }
    }

    if (!complete && hasBody && bodyMode(false)) {
      if (body.length > config.bufferLimitBytes()) {
        return local(500, "Internal Server Error", "response_payload_too_large");
      }
      send(ProcessingRequest.newBuilder().setResponseBody(HttpMessages.httpBody(body)).build());
      if (request.cancelAfter() == Phase.RESPONSE_BODY) {
        return clientGone(true);
      }
      ProcessingResponse answer = await(ResponseCase.RESPONSE_BODY);
      if (localReply != null) {
        return localReply;
      }
      if (answer != null) {
        CommonResponses.Mutated mutated =
            responses.applyBody(answer.getResponseBody().getResponse(), headers, body);
        if (mutated.error().isPresent()) {
          return fail(500, mutated.error().get());
        }
        body = mutated.body();
      }
    }
    // The response is on its way downstream: what the processor does now changes nothing.
    complete = true;
    dropAnswersReceivedWhileIdle();
    return downstreamResponse(headers, body);
  }

  private HttpResult downstreamResponse(List<Map.Entry<String, String>> headers, byte[] body) {
    String statusText = Headers.first(headers, ":status").orElse("");
    int status;
    try {
      status = Integer.parseInt(statusText);
    } catch (NumberFormatException e) {
      return local(500, "", "invalid :status " + statusText);
    }
    List<Map.Entry<String, String>> regular = new ArrayList<>();
    for (Map.Entry<String, String> e : headers) {
      if (!e.getKey().startsWith(":")) {
        regular.add(e);
      }
    }
    return new HttpResult(status, regular, body, trace.build());
  }

  private HttpResult callUpstream(HttpRequest forwarded) {
    try {
      return upstream.call(forwarded);
    } catch (IOException e) {
      trace.note("upstream connection failure");
      upstreamConnectionFailed = true;
      return HttpMessages.upstreamFailure();
    }
  }

  /** Envoy's UF response flag (upstream connection failure): bit 5 of {@code response.flags}. */
  static final long UPSTREAM_CONNECTION_FAILURE_FLAG = 1L << 5;

  /** Envoy's {@code response.code_details} for a connection that could not be made. */
  static final String CONNECTION_FAILURE_DETAILS =
      "upstream_reset_before_response_started{remote_connection_failure}";

  /** Set when the upstream could not be connected to (the request never reached it). */
  private boolean upstreamConnectionFailed;

  /**
   * The {@code response_attributes} the filter config asks for, as Envoy fills them in with the
   * response headers (under the filter's name), or none.
   */
  private void addResponseAttributes(ProcessingRequest.Builder message) {
    if (config.responseAttributes().isEmpty()) {
      return;
    }
    com.google.protobuf.Struct.Builder values = com.google.protobuf.Struct.newBuilder();
    for (String name : config.responseAttributes()) {
      switch (name) {
        case "response.flags" ->
            values.putFields(
                name,
                com.google.protobuf.Value.newBuilder()
                    .setNumberValue(upstreamConnectionFailed ? UPSTREAM_CONNECTION_FAILURE_FLAG : 0)
                    .build());
        case "response.code_details" ->
            values.putFields(
                name,
                com.google.protobuf.Value.newBuilder()
                    .setStringValue(
                        upstreamConnectionFailed ? CONNECTION_FAILURE_DETAILS : "via_upstream")
                    .build());
        default -> {
          // not modelled: Envoy would send it; the harness leaves it out
        }
      }
    }
    message.putAttributes("envoy.filters.http.ext_proc", values.build());
  }

  private boolean bodyMode(boolean requestDirection) {
    BodySendMode m = requestDirection ? mode.getRequestBodyMode() : mode.getResponseBodyMode();
    return m != BodySendMode.NONE;
  }

  /**
   * Waits for the answer to the message just sent. Returns it, or null when processing ended: then
   * either {@link #localReply} is set, or the filter continues without the processor.
   */
  private ProcessingResponse await(ResponseCase expected) throws InterruptedException {
    long deadline = System.nanoTime() + config.messageTimeout().toNanos();
    boolean overridden = false;
    while (true) {
      long wait = deadline - System.nanoTime();
      ProcessorStream.Event event = wait <= 0 ? null : stream.poll(wait);
      if (event == null) {
        if (config.failureModeAllow()) {
          detach("message timeout; failure_mode_allow: continuing without the processor");
          return null;
        }
        fail(504, "ext_proc_error_per-message_timeout_exceeded");
        return null;
      }
      if (event instanceof ProcessorStream.Closed closed) {
        onClosed(closed.status());
        return null;
      }
      ProcessingResponse answer = ((ProcessorStream.Answer) event).response();
      trace.received(answer);
      if (answer.hasOverrideMessageTimeout()) {
        long ms =
            answer.getOverrideMessageTimeout().getSeconds() * 1000
                + answer.getOverrideMessageTimeout().getNanos() / 1_000_000;
        if (ms < 1 || ms > config.maxMessageTimeout().toMillis()) {
          trace.note("override_message_timeout ignored: " + ms + " ms is out of range");
        } else if (overridden) {
          trace.note("override_message_timeout ignored: not the first in this state");
        } else {
          overridden = true;
          deadline = System.nanoTime() + ms * 1_000_000;
        }
        continue;
      }
      boolean headerState =
          expected == ResponseCase.REQUEST_HEADERS || expected == ResponseCase.RESPONSE_HEADERS;
      if (config.allowModeOverride() && headerState && answer.hasModeOverride()) {
        mode = answer.getModeOverride();
        trace.note("processing mode overridden");
      }
      if (answer.getResponseCase() == ResponseCase.IMMEDIATE_RESPONSE) {
        complete = true;
        closeStream();
        localReply = ImmediateReplies.toResult(answer.getImmediateResponse(), trace);
        return null;
      }
      if (answer.getResponseCase() != expected) {
        detach(
            Trace.SPURIOUS
                + ": "
                + answer.getResponseCase()
                + " while awaiting "
                + expected
                + "; continuing without the processor");
        return null;
      }
      return answer;
    }
  }

  private void onClosed(Status status) {
    if (status.isOk()) {
      detach("processor closed the stream; continuing without the processor");
    } else if (config.failureModeAllow()) {
      detach("gRPC error " + status.getCode() + "; failure_mode_allow: continuing");
    } else {
      fail(500, "ext_proc_error_gRPC_error_" + status.getCode().value());
    }
  }

  /** Envoy in idle state: any answer now is spurious and ends processing; closes are noted. */
  private void dropAnswersReceivedWhileIdle() {
    if (stream == null) {
      return;
    }
    ProcessorStream.Event event;
    while ((event = stream.pollNow()) != null) {
      if (event instanceof ProcessorStream.Answer answer) {
        trace.received(answer.response());
        if (!complete) {
          detach(Trace.SPURIOUS + ": " + answer.response().getResponseCase() + " while idle");
        } else {
          trace.note(
              Trace.SPURIOUS + ": " + answer.response().getResponseCase() + " after processing");
        }
      } else if (event instanceof ProcessorStream.Closed closed && !complete) {
        onClosed(closed.status());
      }
    }
  }

  private void detach(String note) {
    trace.note(note);
    complete = true;
    closeStream();
  }

  private HttpResult fail(int status, String details) {
    complete = true;
    closeStream();
    localReply = local(status, "", details);
    return localReply;
  }

  private HttpResult local(int status, String body, String details) {
    complete = true;
    closeStream();
    trace.localReply(details);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    List<Map.Entry<String, String>> headers =
        bytes.length == 0
            ? List.of()
            : List.of(
                Map.entry("content-length", Integer.toString(bytes.length)),
                Map.entry("content-type", "text/plain"));
    return new HttpResult(status, headers, bytes, trace.build());
  }

  /**
   * The downstream client goes away. With {@code afterAnswer}, first give the processor up to
   * {@code message_timeout} to answer the message just sent (the answer is recorded, not applied),
   * so it has surely received that message; then half-close and reset, as Envoy's {@code onDestroy}
   * does.
   */
  private HttpResult clientGone(boolean afterAnswer) throws InterruptedException {
    if (afterAnswer && stream != null) {
      ProcessorStream.Event event = stream.poll(config.messageTimeout().toNanos());
      if (event instanceof ProcessorStream.Answer answer) {
        trace.received(answer.response());
      }
    }
    trace.note("downstream client went away");
    complete = true;
    closeStream();
    trace.localReply("downstream_remote_disconnect");
    return new HttpResult(HttpResult.CLIENT_GONE, List.of(), new byte[0], trace.build());
  }

  private void send(ProcessingRequest message) {
    if (stream == null) {
      stream = new ProcessorStream(channel);
    }
    trace.sent(message);
    stream.send(message);
  }

  private void closeStream() {
    if (stream != null) {
      stream.close();
    }
  }
}
