package io.keybrake.harness.envoy;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code HttpRequest} is one downstream request as Envoy receives it, or the request Envoy forwards
 * upstream after the external processor mutated it.
 *
 * <p>{@code body} {@code null} or empty means a bodyless request. {@code cancelAfter} is {@code
 * null} for a client that waits for its answer. Immutable (the body array is not copied: do not
 * change it after construction) and thread-safe.
 */
public record HttpRequest(
    String method,
    String path,
    String authority,
    String scheme,
    List<Map.Entry<String, String>> headers,
    byte[] body,
    Phase cancelAfter) {

  public HttpRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(scheme, "scheme");
    headers = Headers.copy(headers == null ? List.of() : headers);
    body = body == null ? new byte[0] : body;
  }

  /** A request that waits for its answer. */
  public HttpRequest(
      String method,
      String path,
      String authority,
      String scheme,
      List<Map.Entry<String, String>> headers,
      byte[] body) {
    this(method, path, authority, scheme, headers, body, null);
  }

  /**
   * A request to {@code url} (scheme, authority, path and query are taken from it), e.g. {@code
   * of("POST", URI.create("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"), headers,
   * body)}.
   */
  public static HttpRequest of(
      String method, java.net.URI url, List<Map.Entry<String, String>> headers, byte[] body) {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    if (url.getRawQuery() != null) {
      path = path + "?" + url.getRawQuery();
    }
    return new HttpRequest(method, path, url.getRawAuthority(), url.getScheme(), headers, body);
  }

  /** A copy whose client goes away after {@code phase} (see {@link Phase}). */
  public HttpRequest cancelAfter(Phase phase) {
    return new HttpRequest(method, path, authority, scheme, headers, body, phase);
  }

  /** True when there is a body to send. */
  public boolean hasBody() {
    return body.length > 0;
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
    return new String(body, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "HttpRequest["
        + method
        + " "
        + scheme
        + "://"
        + authority
        + path
        + ", "
        + body.length
        + " body bytes]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpRequest r
        && method.equals(r.method)
        && path.equals(r.path)
        && authority.equals(r.authority)
        && scheme.equals(r.scheme)
        && headers.equals(r.headers)
        && java.util.Arrays.equals(body, r.body)
        && cancelAfter == r.cancelAfter;
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, path, authority, headers, java.util.Arrays.hashCode(body));
  }
}
