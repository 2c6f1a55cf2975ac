package io.keybrake.harness.sim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code RecordedRequest} is one request a vendor simulator received: method, raw path, raw query
 * (empty when none), headers in arrival order and the body bytes. Immutable (the body is copied on
 * the way in and out) and thread-safe.
 */
public record RecordedRequest(
    String method,
    String path,
    String query,
    List<Map.Entry<String, String>> headers,
    byte[] body) {

  public RecordedRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    query = query == null ? "" : query;
    headers = List.copyOf(headers);
    body = body == null ? new byte[0] : body.clone();
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The first value of header {@code name} (case-insensitive). */
  public Optional<String> header(String name) {
    return headers.stream()
        .filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(Map.Entry::getValue)
        .findFirst();
  }

  /** The body parsed as a form ({@code application/x-www-form-urlencoded}). */
  public FormBody form() {
    return FormBody.parse(bodyText());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordedRequest r
        && method.equals(r.method)
        && path.equals(r.path)
        && query.equals(r.query)
        && headers.equals(r.headers)
        && Arrays.equals(body, r.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, path, query, headers, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "RecordedRequest[" + method + " " + path + (query.isEmpty() ? "" : "?" + query) + "]";
  }
}
