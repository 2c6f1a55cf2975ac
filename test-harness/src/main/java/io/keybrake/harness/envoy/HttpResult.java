package io.keybrake.harness.envoy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code HttpResult} is what the downstream client sees for one exchange (or what the upstream
 * answered, when returned by an {@link Upstream}).
 *
 * <p>Status {@link #CLIENT_GONE} means the client went away ({@link HttpRequest#cancelAfter}) and
 * saw no response. {@code trace} records the ext_proc conversation; it is {@link Trace#EMPTY} for
 * upstream answers. Immutable (the body array is not copied) and thread-safe.
 */
public record HttpResult(
    int status, List<Map.Entry<String, String>> headers, byte[] body, Trace trace) {

  /** Status of an exchange whose downstream client disconnected before any response. */
  public static final int CLIENT_GONE = 0;

  public HttpResult {
    headers = Headers.copy(headers == null ? List.of() : headers);
    body = body == null ? new byte[0] : body;
    trace = trace == null ? Trace.EMPTY : trace;
  }

  /** An upstream answer (no trace). */
  public static HttpResult of(int status, List<Map.Entry<String, String>> headers, byte[] body) {
    return new HttpResult(status, headers, body, Trace.EMPTY);
  }

  /** An upstream answer with a UTF-8 body. */
  public static HttpResult of(int status, List<Map.Entry<String, String>> headers, String body) {
    return of(status, headers, body.getBytes(StandardCharsets.UTF_8));
  }

  /** The first value of header {@code name} (case-insensitive). */
  public Optional<String> header(String name) {
    return Headers.first(headers, name);
  }

  /** Every value of header {@code name} (case-insensitive), in order. */
  public List<String> headerValues(String name) {
    return Headers.all(headers, name);
  }

  /** The body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  HttpResult withTrace(Trace t) {
    return new HttpResult(status, headers, body, t);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpResult r
        && status == r.status
        && headers.equals(r.headers)
        && Arrays.equals(body, r.body)
        && trace.equals(r.trace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, headers, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "HttpResult[" + status + ", " + headers + ", " + body.length + " body bytes]";
  }
}
