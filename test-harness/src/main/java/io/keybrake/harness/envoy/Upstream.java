package io.keybrake.harness.envoy;

import java.io.IOException;

/**
 * {@code Upstream} stands in for the vendor cluster: it receives the request as mutated by the
 * external processor and answers it. An {@link IOException} is a connection failure, which Envoy
 * turns into a local 503 that still passes through the response phases. Implementations used from
 * several threads must be thread-safe.
 */
@FunctionalInterface
public interface Upstream {
  HttpResult call(HttpRequest mutatedRequest) throws IOException;
}
