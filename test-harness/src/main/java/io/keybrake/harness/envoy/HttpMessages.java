package io.keybrake.harness.envoy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Conversions between HTTP messages and the header lists / ext_proc messages Envoy builds from
 * them. Stateless and thread-safe.
 */
final class HttpMessages {
  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection");
  private static final String UPSTREAM_FAILURE =
      "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

  private HttpMessages() {}

  /** The request as the filter sees it: pseudo-headers first, names lowercased. */
  static List<Map.Entry<String, String>> requestHeaders(HttpRequest request, ExtProcConfig config) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    headers.add(Map.entry(":method", request.method()));
    headers.add(Map.entry(":path", request.path()));
    headers.add(Map.entry(":authority", request.authority()));
    headers.add(Map.entry(":scheme", request.scheme()));
    for (Map.Entry<String, String> e : request.headers()) {
      String name = Headers.lower(e.getKey());
      if (!name.equals("host") && !name.startsWith(":") && !HOP_BY_HOP.contains(name)) {
        headers.add(Map.entry(name, e.getValue()));
      }
    }
    if (request.hasBody() && Headers.first(headers, "content-length").isEmpty()) {
      headers.add(Map.entry("content-length", Integer.toString(request.body().length)));
    }
    if (config.addRequestIdHeaders()) {
      if (Headers.first(headers, "x-forwarded-proto").isEmpty()) {
        headers.add(Map.entry("x-forwarded-proto", request.scheme()));
      }
      if (Headers.first(headers, "x-request-id").isEmpty()) {
        headers.add(Map.entry("x-request-id", UUID.randomUUID().toString()));
      }
    }
    return headers;
  }

  /** The request the router forwards upstream. */
  static HttpRequest forwarded(List<Map.Entry<String, String>> headers, byte[] body) {
    List<Map.Entry<String, String>> regular = new ArrayList<>();
    for (Map.Entry<String, String> e : headers) {
      if (!e.getKey().startsWith(":")) {
        regular.add(e);
      }
    }
    return new HttpRequest(
        Headers.first(headers, ":method").orElseThrow(),
        Headers.first(headers, ":path").orElseThrow(),
        Headers.first(headers, ":authority").orElseThrow(),
        Headers.first(headers, ":scheme").orElseThrow(),
        regular,
        body);
  }

  /** The upstream answer as the filter sees it: {@code :status} first, names lowercased. */
  static List<Map.Entry<String, String>> responseHeaders(HttpResult answered) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    headers.add(Map.entry(":status", Integer.toString(answered.status())));
    for (Map.Entry<String, String> e : answered.headers()) {
      String name = Headers.lower(e.getKey());
      if (!HOP_BY_HOP.contains(name) && !name.startsWith(":")) {
        headers.add(Map.entry(name, e.getValue()));
      }
    }
    return headers;
  }

  /** Envoy's local 503 when the upstream cannot be reached. */
  static HttpResult upstreamFailure() {
    byte[] text = UPSTREAM_FAILURE.getBytes(StandardCharsets.UTF_8);
    return HttpResult.of(
        503,
        List.of(
            Map.entry("content-length", Integer.toString(text.length)),
            Map.entry("content-type", "text/plain")),
        text);
  }

  static HttpHeaders httpHeaders(List<Map.Entry<String, String>> headers, boolean endOfStream) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (Map.Entry<String, String> e : headers) {
      map.addHeaders(
          HeaderValue.newBuilder()
              .setKey(e.getKey())
              .setRawValue(ByteString.copyFrom(e.getValue(), StandardCharsets.UTF_8)));
    }
    return HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(endOfStream).build();
  }

  static HttpBody httpBody(byte[] body) {
    return HttpBody.newBuilder().setBody(ByteString.copyFrom(body)).setEndOfStream(true).build();
  }
}
