package io.keybrake.extproc.gateway;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.keybrake.extproc.server.HeaderCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local data plane: a Jetty handler that does for one machine what Envoy does in production.
 * Each request goes through the ext_proc protocol (headers, buffered body, response headers,
 * buffered response body) against the same processor Envoy would call, then to the vendor's
 * upstream with the real credential. Vendor traffic may be prefixed {@code /twilio}, {@code
 * /stripe}, {@code /resend}; an unprefixed path is routed by the key's vendor. Asynchronous: no
 * thread is held per request while the processor decides or the vendor answers, so in-flight calls
 * are not bounded by Jetty's threads. Thread-safe.
 */
public final class LocalGateway extends Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(LocalGateway.class);
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "host",
          "content-length",
          "accept-encoding",
          "expect");

  private final ExternalProcessorGrpc.ExternalProcessorStub processor;
  private final Map<String, String> prefixToHost;
  private final UpstreamClient upstream;
  private final int maxBodyBytes;
  private final Duration messageTimeout;
  private final Duration maxMessageTimeout;

  /**
   * @param prefixToHost vendor prefix ({@code twilio}) to the vendor's API host, sent as {@code
   *     :authority} so the processor can refuse a key of another vendor
   */
  public LocalGateway(
      ExternalProcessorGrpc.ExternalProcessorStub processor,
      Map<String, String> prefixToHost,
      UpstreamClient upstream,
      int maxBodyBytes,
      Duration messageTimeout,
      Duration maxMessageTimeout) {
    this.processor = processor;
    this.prefixToHost = Map.copyOf(prefixToHost);
    this.upstream = upstream;
    this.maxBodyBytes = maxBodyBytes;
    this.messageTimeout = messageTimeout;
    this.maxMessageTimeout = maxMessageTimeout;
  }

  /**
   * Takes the request and returns at once: the body is read as it arrives (no thread waits for it),
   * each ext_proc message is answered when the processor's decision completes, the upstream call is
   * sent without blocking, and the answer is written, completing {@code callback}, on whichever
   * thread finished the last step.
   */
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String target = request.getHttpURI().getPathQuery();
    if (target == null || target.isEmpty()) {
      target = "/";
    }
    String authority = request.getHttpURI().getAuthority();
    for (Map.Entry<String, String> p : prefixToHost.entrySet()) {
      String prefix = "/" + p.getKey();
      if (target.equals(prefix)
          || target.startsWith(prefix + "/")
          || target.startsWith(prefix + "?")) {
        target = target.substring(prefix.length());
        if (target.isEmpty() || target.startsWith("?")) {
          target = "/" + target;
        }
        authority = p.getValue();
        break;
      }
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (HttpField f : request.getHeaders()) {
      String name = f.getLowerCaseName();
      // as the Envoy configs do before the ext_proc filter: the agent may not speak for the proxy
      if (!name.startsWith("x-envoy-") && !name.startsWith("x-keybrake-")) {
        headers.add(Map.entry(name, f.getValue()));
      }
    }
    String method = request.getMethod();
    String path = target;
    String host = authority;
    String scheme = request.getHttpURI().getScheme();
    BodyReader.read(request, maxBodyBytes)
        .whenComplete(
            (body, failure) -> {
              if (failure != null) {
                callback.failed(failure);
              } else if (body == null) {
                // Envoy answers 413 itself when a buffered body exceeds its buffer limit.
                writeJson(
                    response,
                    callback,
                    413,
                    "request_too_large",
                    "request body is over the " + maxBodyBytes + "-byte limit");
              } else {
                process(
                    new GatewayExchange(method, path, host, scheme, headers, body),
                    response,
                    callback);
              }
            });
    return true;
  }

  /** Runs the exchange through the processor and the upstream, then writes the answer. */
  private void process(GatewayExchange ex, Response response, Callback callback) {
    ExtProcCall call = new ExtProcCall(processor, messageTimeout, maxMessageTimeout);
    CompletableFuture<HttpReply> replied;
    try {
      replied = run(call, ex);
    } catch (RuntimeException e) {
      replied = CompletableFuture.failedFuture(e);
    }
    replied.whenComplete(
        (reply, failure) -> {
          call.close();
          Throwable cause = unwrap(failure);
          if (cause instanceof ExtProcFailure f) {
            log.warn("ext_proc failure, failing closed: {}", f.getMessage());
            writeJson(
                response,
                callback,
                f.status(),
                "processor_failure",
                io.keybrake.core.secret.SecretMask.mask(f.getMessage()));
            return;
          }
          if (cause != null) {
            callback.failed(cause);
            return;
          }
          response.setStatus(reply.status());
          for (Map.Entry<String, String> h : reply.headers()) {
            if (!HOP_BY_HOP.contains(h.getKey())) {
              response.getHeaders().add(h.getKey(), h.getValue());
            }
          }
          response.write(true, ByteBuffer.wrap(reply.body()), callback);
        });
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while (c instanceof CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** The request phases: headers, then the buffered body, each answered by the processor. */
  private CompletableFuture<HttpReply> run(ExtProcCall call, GatewayExchange ex) {
    boolean bodyless = ex.body.length == 0;
    return call.exchange(
            ProcessingRequest.newBuilder()
                .setRequestHeaders(
                    HttpHeaders.newBuilder()
                        .setHeaders(requestHeaderMap(ex))
                        .setEndOfStream(bodyless))
                .build())
        .thenCompose(
            r -> {
              if (r.hasImmediateResponse()) {
                return CompletableFuture.completedFuture(immediate(r.getImmediateResponse()));
              }
              expect(r, ProcessingResponse.ResponseCase.REQUEST_HEADERS);
              ex.apply(r.getRequestHeaders().getResponse());
              if (bodyless) {
                return forward(call, ex);
              }
              return call.exchange(
                      ProcessingRequest.newBuilder()
                          .setRequestBody(
                              HttpBody.newBuilder()
                                  .setBody(ByteString.copyFrom(ex.body))
                                  .setEndOfStream(true))
                          .build())
                  .thenCompose(
                      b -> {
                        if (b.hasImmediateResponse()) {
                          return CompletableFuture.completedFuture(
                              immediate(b.getImmediateResponse()));
                        }
                        expect(b, ProcessingResponse.ResponseCase.REQUEST_BODY);
                        ex.apply(b.getRequestBody().getResponse());
                        return forward(call, ex);
                      });
            });
  }

  /** The allowed call goes upstream; its response phases go through the processor. */
  private CompletableFuture<HttpReply> forward(ExtProcCall call, GatewayExchange ex) {
    return upstream.forward(ex).thenCompose(vendor -> respond(call, vendor));
  }

  private CompletableFuture<HttpReply> respond(ExtProcCall call, HttpReply vendor) {
    HeaderMap.Builder rh = HeaderMap.newBuilder();
    rh.addHeaders(HeaderCodec.encode(":status", Integer.toString(vendor.status())));
    for (Map.Entry<String, String> h : vendor.headers()) {
      rh.addHeaders(HeaderCodec.encode(h.getKey(), h.getValue()));
    }
    boolean noBody = vendor.body().length == 0;
    return call.exchange(
            ProcessingRequest.newBuilder()
                .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(rh).setEndOfStream(noBody))
                .build())
        .thenCompose(
            r -> {
              if (r.hasImmediateResponse()) {
                return CompletableFuture.completedFuture(immediate(r.getImmediateResponse()));
              }
              expect(r, ProcessingResponse.ResponseCase.RESPONSE_HEADERS);
              List<Map.Entry<String, String>> outHeaders = new ArrayList<>(vendor.headers());
              applyTo(outHeaders, r.getResponseHeaders().getResponse());
              boolean bodySkipped =
                  r.hasModeOverride()
                      && r.getModeOverride().getResponseBodyMode()
                          == ProcessingMode.BodySendMode.NONE;
              if (noBody || bodySkipped) {
                return CompletableFuture.completedFuture(
                    new HttpReply(vendor.status(), outHeaders, vendor.body()));
              }
              return call.exchange(
                      ProcessingRequest.newBuilder()
                          .setResponseBody(
                              HttpBody.newBuilder()
                                  .setBody(ByteString.copyFrom(vendor.body()))
                                  .setEndOfStream(true))
                          .build())
                  .thenApply(
                      b -> {
                        if (b.hasImmediateResponse()) {
                          return immediate(b.getImmediateResponse());
                        }
                        expect(b, ProcessingResponse.ResponseCase.RESPONSE_BODY);
                        applyTo(outHeaders, b.getResponseBody().getResponse());
                        CommonResponse bodyPhase = b.getResponseBody().getResponse();
                        if (bodyPhase.hasBodyMutation() && bodyPhase.getBodyMutation().hasBody()) {
                          return new HttpReply( // the processor masked the answer
                              vendor.status(),
                              outHeaders,
                              bodyPhase.getBodyMutation().getBody().toByteArray());
                        }
                        return new HttpReply(vendor.status(), outHeaders, vendor.body());
                      });
            });
  }

  /** Fails the exchange (as an {@link ExtProcFailure}, 500) on an answer of another phase. */
  private static void expect(ProcessingResponse r, ProcessingResponse.ResponseCase phase) {
    if (r.getResponseCase() != phase) {
      throw new CompletionException(
          new ExtProcFailure(
              500,
              "the processor answered " + r.getResponseCase() + " to a " + phase + " message"));
    }
  }

  static void applyTo(List<Map.Entry<String, String>> headers, CommonResponse common) {
    if (!common.hasHeaderMutation()) {
      return;
    }
    for (String name : common.getHeaderMutation().getRemoveHeadersList()) {
      headers.removeIf(h -> h.getKey().equalsIgnoreCase(name));
    }
    for (HeaderValueOption o : common.getHeaderMutation().getSetHeadersList()) {
      String name = o.getHeader().getKey().toLowerCase(Locale.ROOT);
      String value = o.getHeader().getRawValue().toString(StandardCharsets.ISO_8859_1);
      headers.removeIf(h -> h.getKey().equals(name));
      headers.add(Map.entry(name, value));
    }
  }

  private static HttpReply immediate(ImmediateResponse ir) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (HeaderValueOption o : ir.getHeaders().getSetHeadersList()) {
      headers.add(
          Map.entry(
              o.getHeader().getKey().toLowerCase(Locale.ROOT),
              o.getHeader().getRawValue().toString(StandardCharsets.ISO_8859_1)));
    }
    int status = ir.getStatus().getCodeValue();
    return new HttpReply(status == 0 ? 200 : status, headers, ir.getBody().toByteArray());
  }

  private static HeaderMap requestHeaderMap(GatewayExchange ex) {
    HeaderMap.Builder b = HeaderMap.newBuilder();
    b.addHeaders(HeaderCodec.encode(":method", ex.method));
    b.addHeaders(HeaderCodec.encode(":path", ex.path));
    b.addHeaders(HeaderCodec.encode(":authority", ex.authority == null ? "" : ex.authority));
    b.addHeaders(HeaderCodec.encode(":scheme", ex.scheme == null ? "http" : ex.scheme));
    for (Map.Entry<String, String> h : ex.headers) {
      if (!h.getKey().startsWith(":") && !h.getKey().equals("host")) {
        b.addHeaders(HeaderCodec.encode(h.getKey(), h.getValue()));
      }
    }
    return b.build();
  }

  static void writeJson(
      Response response, Callback callback, int status, String code, String message) {
    String json =
        "{\"code\":\""
            + code
            + "\",\"message\":\""
            + message.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\",\"status\":"
            + status
            + "}";
    response.setStatus(status);
    response.getHeaders().put("content-type", "application/json");
    response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
