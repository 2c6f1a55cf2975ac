package io.keybrake.harness.envoy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code HttpUpstream} is an {@link Upstream} that forwards the mutated request over HTTP/1.1 to a
 * fixed base URI (a vendor simulator), keeping method, path and query, headers and body, as Envoy's
 * router does with a vendor cluster. A connection failure becomes Envoy's 503. Thread-safe.
 */
public final class HttpUpstream implements Upstream {
  private static final Set<String> NOT_FORWARDED =
      Set.of("connection", "content-length", "expect", "host", "upgrade", "transfer-encoding");

  private final URI base;
  private final HttpClient http;
  private final Duration timeout;

  private HttpUpstream(URI base, Duration timeout) {
    this.base = Objects.requireNonNull(base, "base");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Forwards to {@code base} (scheme, host and port are used; the request keeps its path). */
  public static HttpUpstream to(URI base) {
    return new HttpUpstream(base, Duration.ofSeconds(10));
  }

  @Override
  public HttpResult call(HttpRequest request) throws IOException {
    URI target = URI.create(base.getScheme() + "://" + base.getRawAuthority() + request.path());
    java.net.http.HttpRequest.Builder b =
        java.net.http.HttpRequest.newBuilder(target)
            .timeout(timeout)
            .method(
                request.method(),
                request.hasBody()
                    ? java.net.http.HttpRequest.BodyPublishers.ofByteArray(request.body())
                    : java.net.http.HttpRequest.BodyPublishers.noBody());
    for (Map.Entry<String, String> h : request.headers()) {
      if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        b.header(h.getKey(), h.getValue());
      }
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while calling the upstream", e);
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    response
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!name.startsWith(":")) {
                values.forEach(v -> headers.add(Map.entry(name, v)));
              }
            });
    return HttpResult.of(response.statusCode(), headers, response.body());
  }
}
