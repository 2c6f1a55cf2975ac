package io.keybrake.extproc.gateway;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an allowed call to its vendor (the "vendor cluster" of the local data plane) and buffers
 * the response. The vendor comes from the {@code x-keybrake-vendor} header the processor set; every
 * {@code x-keybrake-*} header is stripped before the call leaves (and from the vendor's answer). A
 * transport failure becomes a 502 reply, which the processor then sees as a response: the
 * reservation stays unsettled, unless the call surely never left this machine (name not resolved,
 * connection refused), when the reply says so ({@link #NOT_SENT_HEADER}) and it is released.
 * Thread-safe.
 */
public final class UpstreamClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);
  private static final int MAX_RESPONSE_BYTES = 16 << 20;
  private static final Set<String> DROP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "host",
          "content-length",
          "accept-encoding",
          "expect");

  private final HttpClient http;
  private final Upstreams upstreams;
  private final Duration timeout;

  public UpstreamClient(Upstreams upstreams, Duration timeout) throws java.io.IOException {
    this.upstreams = upstreams;
    this.timeout = timeout;
    // The vendor's answer is handled on the selector thread that read it, not handed to a pool
    // thread: what follows (the response phases, settlement) waits for nothing but the store's
    // commit, and a hand-off here was one to two context switches per call.
    HttpClientTransportOverHTTP transport = new HttpClientTransportOverHTTP();
    transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
    this.http = new HttpClient(transport);
    this.http.setFollowRedirects(false);
    this.http.setMaxConnectionsPerDestination(256);
    this.http.setUserAgentField(null);
    try {
      this.http.start();
    } catch (Exception e) {
      throw new java.io.IOException("cannot start the upstream HTTP client", e);
    }
    // after start: starting adds the default (gzip) decoders, and with them Accept-Encoding: gzip
    // on every call, when the body must reach settlement as the vendor sent it
    this.http.getContentDecoderFactories().clear();
  }

  /**
   * Sends the call without blocking; the stage completes (on the HTTP client's selector thread)
   * with the vendor's buffered reply, or with a 502 reply for a transport failure or the timeout.
   * It never fails.
   */
  CompletableFuture<HttpReply> forward(GatewayExchange ex) {
    String vendor = ex.header("x-keybrake-vendor");
    URI base = vendor == null ? null : upstreams.of(vendor).orElse(null);
    if (base == null) {
      return CompletableFuture.completedFuture(error(502, "no upstream for this call"));
    }
    String baseText = base.toString();
    if (baseText.endsWith("/")) {
      baseText = baseText.substring(0, baseText.length() - 1);
    }
    Request req =
        http.newRequest(URI.create(baseText + ex.path))
            .method(ex.method)
            .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    String contentType = null;
    List<Map.Entry<String, String>> send = new ArrayList<>();
    for (Map.Entry<String, String> h : ex.headers) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (DROP.contains(name) || name.startsWith("x-keybrake-")) {
        continue;
      }
      if (name.equals("content-type")) {
        contentType = h.getValue();
      }
      send.add(h);
    }
    req.headers(
        m -> {
          for (Map.Entry<String, String> h : send) {
            m.add(h.getKey(), h.getValue());
          }
        });
    if (ex.body.length > 0) {
      req.body(new BytesRequestContent(contentType, ex.body));
    }
    // bounded by the request's own timeout (on the client's cyclic timer: no task per call)
    return new CompletableResponseListener(req, MAX_RESPONSE_BYTES)
        .send()
        .handle(
            (resp, failure) -> {
              if (failure == null) {
                return reply(resp);
              }
              Throwable cause =
                  failure instanceof java.util.concurrent.CompletionException
                          && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (neverSent(cause)) {
                log.warn("upstream {} not reached, nothing sent: {}", vendor, cause.toString());
                return notSent(error(502, "the vendor could not be reached; nothing was sent"));
              }
              log.warn("upstream {} failed: {}", vendor, cause.toString());
              return error(502, "the vendor could not be reached");
            });
  }

  private static HttpReply reply(ContentResponse resp) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (HttpField f : resp.getHeaders()) {
      String name = f.getLowerCaseName();
      if (!DROP.contains(name) && !name.startsWith("x-keybrake-")) {
        headers.add(Map.entry(name, f.getValue()));
      }
    }
    return new HttpReply(resp.getStatus(), headers, resp.getContent());
  }

  /**
   * Whether the request surely never left this machine: the name did not resolve or the connection
   * was refused. A failure after connecting (reset, timeout) may have reached the vendor.
   */
  static boolean neverSent(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException
          || t instanceof java.net.UnknownHostException
          || t instanceof java.nio.channels.UnresolvedAddressException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** Marks a reply as "the call was not sent": the processor then releases its reservation. */
  private static HttpReply notSent(HttpReply reply) {
    List<Map.Entry<String, String>> headers = new ArrayList<>(reply.headers());
    headers.add(Map.entry(NOT_SENT_HEADER, "not-sent"));
    return new HttpReply(reply.status(), headers, reply.body());
  }

  /**
   * Set on the reply for a call that never left this machine (vendor headers of that name are
   * dropped first, so only this data plane can set it).
   */
  public static final String NOT_SENT_HEADER = "x-keybrake-upstream";

  private static HttpReply error(int status, String message) {
    String json =
        "{\"code\":\"upstream_unavailable\",\"message\":\""
            + message
            + "\",\"status\":"
            + status
            + "}";
    return new HttpReply(
        status,
        List.of(Map.entry("content-type", "application/json")),
        json.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      log.warn("upstream client did not stop cleanly: {}", e.getMessage());
    }
  }
}
