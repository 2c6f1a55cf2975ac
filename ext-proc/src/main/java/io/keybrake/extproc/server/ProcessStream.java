package io.keybrake.extproc.server;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.pipeline.Decision;
import io.keybrake.core.pipeline.DecisionPipeline;
import io.keybrake.core.pipeline.Exchange;
import io.keybrake.core.pipeline.RenderedResponse;
import io.keybrake.core.pipeline.RequestHead;
import io.keybrake.core.pipeline.RequestRewrite;
import io.keybrake.core.pipeline.ResponseAnnotations;
import io.keybrake.core.pipeline.WaitListener;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc {@code Process} stream, i.e. one HTTP exchange: answers each message exactly once,
 * in order, and hands every phase to the {@link DecisionPipeline}. A refusal or replay is an {@link
 * ImmediateResponse}, which ends processing. A fault answers the stream with a gRPC error so Envoy
 * fails closed, never half-answered. Messages of one stream arrive serially (gRPC guarantees it).
 *
 * <p>Asynchronous: a message is answered when its decision completes, which may be on the store's
 * completion thread, never by blocking the thread that delivered it (with a direct executor,
 * Netty's event loop). A message that arrives meanwhile waits in an inbox and is handled next, in
 * order; the end of the stream (cancel, error, half-close) waits there too, so the exchange is
 * freed after any pending decision, exactly once. The exchange is touched by one thread at a time
 * (each step starts after the previous one completed).
 */
final class ProcessStream implements StreamObserver<ProcessingRequest> {
  private static final Logger log = LoggerFactory.getLogger(ProcessStream.class);
  private static final Duration WAIT_HEADROOM = Duration.ofMillis(250);

  /** Set by the local gateway's upstream client on a call that never left the machine. */
  static final String NOT_SENT_HEADER = "x-keybrake-upstream";

  private final DecisionPipeline pipeline;
  private final StreamObserver<ProcessingResponse> out;
  private final StreamMetrics metrics;
  private Exchange exchange;

  /** When the call was allowed (ticker of {@link StreamMetrics#now()}), for the forward phase. */
  private long forwardedAt = -1;

  /** An ImmediateResponse was sent: later messages are ignored. */
  private volatile boolean finished;

  /** The response stream was ended (completed or failed); guarded by {@code out}. */
  private boolean closed;

  /** Whether the peer is this process's local gateway (which alone may set NOT_SENT_HEADER). */
  private final boolean localGateway;

  /** Marks the end of the stream in the inbox. */
  private static final Object END = new Object();

  /** Guards {@link #inbox}, {@link #running} and the end. */
  private final Object lock = new Object();

  /** Messages (and the end) that arrived while an earlier message was being decided. */
  private final ArrayDeque<Object> inbox = new ArrayDeque<>();

  /** A message is being handled (its decision may be pending on another thread). */
  private boolean running;

  private boolean endSeen;
  private boolean endCompleted;

  /** The exchange was freed (onAbort called). */
  private boolean aborted;

  /** The peer cancelled or failed the stream: answers are dropped. */
  private volatile boolean peerGone;

  ProcessStream(
      DecisionPipeline pipeline, StreamObserver<ProcessingResponse> out, StreamMetrics metrics) {
    this(pipeline, out, metrics, false);
  }

  ProcessStream(
      DecisionPipeline pipeline,
      StreamObserver<ProcessingResponse> out,
      StreamMetrics metrics,
      boolean localGateway) {
    this.localGateway = localGateway;
    this.pipeline = pipeline;
    this.out = out;
    this.metrics = metrics;
    metrics.streamOpened();
  }

  /**
   * A message arrived. It is handled now when no earlier message of the stream is still being
   * decided, else queued behind it: messages are answered strictly in order, each exactly once,
   * whatever thread the previous decision completed on.
   */
  @Override
  public void onNext(ProcessingRequest request) {
    synchronized (lock) {
      if (running) {
        inbox.add(request);
        return;
      }
      running = true;
    }
    if (localGateway) {
      drain(request); // the local gateway's threads may run a store write themselves
    } else {
      Stages.onEventLoop(() -> drain(request)); // Netty's event loop: store writes go elsewhere
    }
  }

  /**
   * Handles {@code first} and then whatever queued behind it, in order, until the inbox is empty or
   * a decision is still pending (its completion continues the drain on the thread that completed
   * it).
   */
  private void drain(Object first) {
    Object next = first;
    while (next != null) {
      if (next == END) {
        end();
      } else {
        CompletableFuture<Void> handled = handleSafely((ProcessingRequest) next);
        if (!handled.isDone()) {
          handled.whenComplete((v, e) -> drain(nextQueued()));
          return;
        }
      }
      next = nextQueued();
    }
  }

  /** The next queued item, or null (and the stream idle) when none waits. */
  private Object nextQueued() {
    synchronized (lock) {
      Object next = inbox.poll();
      if (next == null) {
        running = false;
      }
      return next;
    }
  }

  /** Handles one message; a fault becomes a gRPC error. Completes once it was answered. */
  private CompletableFuture<Void> handleSafely(ProcessingRequest request) {
    if (finished) {
      return Stages.done();
    }
    CompletionStage<Void> handled;
    try {
      handled = handle(request);
    } catch (RuntimeException e) {
      handled = CompletableFuture.failedFuture(e);
    }
    return handled
        .handle(
            (v, failure) -> {
              if (failure != null) {
                log.error("ext_proc stream failed", Stages.cause(failure));
                metrics.fault();
                abortExchange();
                fail(Status.INTERNAL.withDescription("keybrake processor error"));
              }
              return (Void) null;
            })
        .toCompletableFuture();
  }

  private CompletionStage<Void> handle(ProcessingRequest request) {
    switch (request.getRequestCase()) {
      case REQUEST_HEADERS:
        return onRequestHeaders(request.getRequestHeaders());
      case REQUEST_BODY:
        return onRequestBody(request.getRequestBody().getBody());
      case RESPONSE_HEADERS:
        return onResponseHeaders(request.getResponseHeaders(), request);
      case RESPONSE_BODY:
        return onResponseBody(request.getResponseBody().getBody());
      case REQUEST_TRAILERS:
        send(
            ProcessingResponse.newBuilder()
                .setRequestTrailers(TrailersResponse.getDefaultInstance())
                .build());
        return Stages.done();
      case RESPONSE_TRAILERS:
        send(
            ProcessingResponse.newBuilder()
                .setResponseTrailers(TrailersResponse.getDefaultInstance())
                .build());
        return Stages.done();
      default:
        fail(Status.INVALID_ARGUMENT.withDescription("empty processing request"));
        return Stages.done();
    }
  }

  private CompletionStage<Void> onRequestHeaders(HttpHeaders headers) {
    if (exchange != null) {
      fail(Status.FAILED_PRECONDITION.withDescription("request headers sent twice"));
      return Stages.done();
    }
    exchange = pipeline.begin();
    List<Map.Entry<String, String>> all = HeaderCodec.decode(headers.getHeaders());
    List<Map.Entry<String, String>> regular = new ArrayList<>(all.size());
    String method = "GET";
    String path = "/";
    String authority = "";
    for (Map.Entry<String, String> h : all) {
      switch (h.getKey()) {
        case ":method" -> method = h.getValue();
        case ":path" -> path = h.getValue();
        case ":authority" -> authority = h.getValue();
        default -> {
          if (!h.getKey().startsWith(":")) {
            regular.add(h);
          }
        }
      }
    }
    RequestHead head = new RequestHead(method, path, authority, regular, headers.getEndOfStream());
    long started = metrics.now();
    return pipeline
        .onRequestHeaders(exchange, head, waits())
        .thenAccept(
            d -> {
              // a request without a body (end_of_stream) is also reserved in this phase
              metrics.phase(StreamMetrics.Phase.IDENTIFY, started);
              answer(d, true);
            });
  }

  private CompletionStage<Void> onRequestBody(ByteString body) {
    if (exchange == null) {
      fail(Status.FAILED_PRECONDITION.withDescription("request body before headers"));
      return Stages.done();
    }
    long started = metrics.now();
    return pipeline
        .onRequestBody(exchange, body.toByteArray(), waits())
        .thenAccept(
            d -> {
              metrics.phase(StreamMetrics.Phase.RESERVE, started);
              answer(d, false);
            });
  }

  private CompletionStage<Void> onResponseHeaders(HttpHeaders headers, ProcessingRequest request) {
    if (exchange == null) {
      fail(Status.FAILED_PRECONDITION.withDescription("response before request"));
      return Stages.done();
    }
    List<Map.Entry<String, String>> all = HeaderCodec.decode(headers.getHeaders());
    int parsed;
    try {
      parsed = Integer.parseInt(String.valueOf(HeaderCodec.first(all, ":status")));
    } catch (NumberFormatException e) {
      parsed = 0;
    }
    int status = parsed;
    long started = metrics.now();
    if (forwardedAt >= 0) {
      metrics.phase(StreamMetrics.Phase.FORWARD, forwardedAt);
      forwardedAt = -1;
    }
    if (localGateway
        ? "not-sent".equals(HeaderCodec.first(all, NOT_SENT_HEADER))
        : EnvoyResponseFlags.neverSent(request)) {
      pipeline.neverSent(exchange); // the data plane could not connect: nothing was sent
    }
    return pipeline
        .onResponseHeaders(
            exchange,
            status,
            Optional.ofNullable(HeaderCodec.first(all, "content-type")),
            headers.getEndOfStream())
        .thenAccept(
            settled -> {
              metrics.phase(StreamMetrics.Phase.SETTLE, started);
              ResponseAnnotations ann = settled;
              List<Map.Entry<String, String>> masked =
                  pipeline.maskedResponseHeaders(exchange, all);
              if (!masked.isEmpty()) { // vendor headers quoting the real Twilio Account SID
                List<Map.Entry<String, String>> set = new ArrayList<>(ann.setHeaders());
                set.addAll(masked);
                ann = new ResponseAnnotations(set, ann.bodyNeeded());
              }
              ProcessingResponse.Builder r =
                  ProcessingResponse.newBuilder()
                      .setResponseHeaders(HeadersResponse.newBuilder().setResponse(common(ann)));
              if (!ann.bodyNeeded() && !headers.getEndOfStream()) {
                // settled from the headers: spare Envoy buffering and sending a body nobody reads
                r.setModeOverride(
                    ProcessingMode.newBuilder()
                        .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SEND)
                        .setResponseBodyMode(ProcessingMode.BodySendMode.NONE));
              }
              send(r.build());
            });
  }

  private CompletionStage<Void> onResponseBody(ByteString body) {
    if (exchange == null) {
      fail(Status.FAILED_PRECONDITION.withDescription("response body before request"));
      return Stages.done();
    }
    long started = metrics.now();
    return pipeline
        .onResponseBody(exchange, body.toByteArray())
        .thenAccept(
            ann -> {
              metrics.phase(StreamMetrics.Phase.SETTLE, started);
              send(
                  ProcessingResponse.newBuilder()
                      .setResponseBody(BodyResponse.newBuilder().setResponse(common(ann)))
                      .build());
            });
  }

  private static CommonResponse common(ResponseAnnotations ann) {
    CommonResponse.Builder c = CommonResponse.newBuilder();
    List<Map.Entry<String, String>> set = ann.setHeaders();
    if (ann.body() != null) {
      // a masked body (BUFFERED mode): Envoy requires content-length to match the new body
      set = new ArrayList<>(set);
      set.add(Map.entry("content-length", Integer.toString(ann.body().length)));
      c.setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFrom(ann.body())));
    }
    if (!set.isEmpty()) {
      c.setHeaderMutation(HeaderCodec.mutation(set, List.of()));
    }
    return c.build();
  }

  private void answer(Decision d, boolean headersPhase) {
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (d instanceof Decision.Allow allow) {
      CommonResponse common = rewrite(allow.rewrite());
      if (headersPhase) {
        r.setRequestHeaders(HeadersResponse.newBuilder().setResponse(common));
      } else {
        r.setRequestBody(BodyResponse.newBuilder().setResponse(common));
      }
      forwardedAt = metrics.now();
    } else if (d instanceof Decision.Deny deny) {
      r.setImmediateResponse(immediate(deny.response(), deny.refusal().code().wireName()));
    } else if (d instanceof Decision.Replay replay) {
      r.setImmediateResponse(replay(replay.response()));
    } else {
      r.setRequestHeaders(HeadersResponse.getDefaultInstance());
    }
    send(r.build());
    if (r.hasImmediateResponse()) {
      finished = true;
    }
  }

  private static CommonResponse rewrite(RequestRewrite rw) {
    List<Map.Entry<String, String>> set = new ArrayList<>();
    rw.path().ifPresent(p -> set.add(Map.entry(":path", p)));
    set.addAll(rw.setHeaders());
    CommonResponse.Builder c =
        CommonResponse.newBuilder()
            .setHeaderMutation(HeaderCodec.mutation(set, rw.removeHeaders()))
            .setClearRouteCache(rw.clearRouteCache());
    rw.body()
        .ifPresent(
            b -> {
              c.setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFrom(b)));
              c.setStatus(CommonResponse.ResponseStatus.CONTINUE);
            });
    return c.build();
  }

  private static ImmediateResponse immediate(RenderedResponse resp, String details) {
    return ImmediateResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCodeValue(resp.status()))
        .setHeaders(HeaderCodec.mutation(resp.headers(), List.of()))
        .setBody(ByteString.copyFrom(resp.body()))
        .setDetails("keybrake_" + details)
        .build();
  }

  private static ImmediateResponse replay(StoredResponse resp) {
    List<Map.Entry<String, String>> headers = new ArrayList<>(resp.headers());
    headers.add(Map.entry("x-keybrake-dedup", "replay"));
    return ImmediateResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCodeValue(resp.status()))
        .setHeaders(HeaderCodec.mutation(headers, List.of()))
        .setBody(ByteString.copyFrom(resp.body()))
        .setDetails("keybrake_dedup_replay")
        .build();
  }

  private WaitListener waits() {
    return upTo -> {
      metrics.dedupWait();
      send(
          ProcessingResponse.newBuilder()
              .setOverrideMessageTimeout(
                  com.google.protobuf.Duration.newBuilder()
                      .setSeconds(upTo.plus(WAIT_HEADROOM).getSeconds())
                      .setNanos(upTo.plus(WAIT_HEADROOM).getNano()))
              .build());
    };
  }

  private void send(ProcessingResponse r) {
    if (peerGone || cancelled()) {
      return; // the stream was cancelled: nobody reads the answer (end() frees the exchange)
    }
    synchronized (out) {
      if (!closed) {
        try {
          out.onNext(r);
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.CANCELLED) {
            throw e;
          }
          // cancelled while the decision completed on another thread: the end frees the exchange
          peerGone = true;
        }
      }
    }
  }

  /** Whether the peer cancelled the call (its onError may still be on its way). */
  private boolean cancelled() {
    return out instanceof ServerCallStreamObserver<?> call && call.isCancelled();
  }

  private void fail(Status status) {
    finished = true;
    synchronized (out) {
      if (!closed) {
        closed = true;
        if (!peerGone) {
          out.onError(status.asRuntimeException());
        }
      }
    }
  }

  /** Frees the exchange (keeps a forwarded call's reservation unsettled), exactly once. */
  private CompletionStage<Void> abortExchange() {
    if (exchange == null || aborted) {
      return Stages.done();
    }
    aborted = true;
    CompletionStage<Void> freed;
    try {
      freed = pipeline.onAbort(exchange);
    } catch (RuntimeException e) {
      freed = CompletableFuture.failedFuture(e);
    }
    return freed.exceptionally(
        e -> {
          log.error("could not record an aborted exchange", Stages.cause(e));
          return null;
        });
  }

  /**
   * The peer ended the stream (an error or cancel, or half-close). Handled after any message still
   * being decided, so a reservation admitted meanwhile is freed too, exactly once.
   */
  private void ended(boolean completed) {
    synchronized (lock) {
      if (endSeen) {
        return;
      }
      endSeen = true;
      endCompleted = completed;
      if (running) {
        inbox.add(END);
        return;
      }
      running = true;
    }
    drain(END);
  }

  private void end() {
    CompletionStage<Void> freed = abortExchange();
    metrics.streamClosed();
    finished = true;
    if (endCompleted) {
      freed.whenComplete(
          (v, e) -> {
            synchronized (out) {
              if (!closed) {
                closed = true;
                out.onCompleted();
              }
            }
          });
    }
  }

  @Override
  public void onError(Throwable t) {
    // Envoy ends every stream with a reset; CANCELLED is normal. Free the exchange either way.
    peerGone = true;
    ended(false);
  }

  @Override
  public void onCompleted() {
    ended(true);
  }
}
