package io.keybrake.core.vendor;

import java.util.Map;
import java.util.Objects;

/**
 * A request matched to an endpoint, with the values of the template's variables (decoded path
 * segments; a {@code {rest...}} variable holds the remaining segments joined by {@code '/'}).
 * Immutable.
 */
public record EndpointMatch(EndpointSpec endpoint, Map<String, String> pathVariables) {
  public EndpointMatch {
    Objects.requireNonNull(endpoint);
    pathVariables = Map.copyOf(pathVariables);
  }
}
