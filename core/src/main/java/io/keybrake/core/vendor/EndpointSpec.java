package io.keybrake.core.vendor;

import java.util.Objects;

/**
 * One endpoint of a vendor spec. Immutable and thread-safe.
 *
 * @param name stable name used in policies' {@code allowed_endpoints}, e.g. {@code messages.create}
 * @param method HTTP method, upper case
 * @param pathTemplate e.g. {@code /2010-04-01/Accounts/{AccountSid}/Messages.json}; a final {@code
 *     {rest...}} segment matches one or more segments
 * @param body how the request body is read
 * @param cost the cost rule
 * @param named false only for a catch-all, which a policy must name explicitly to allow
 */
public record EndpointSpec(
    String name,
    String method,
    String pathTemplate,
    BodyFormat body,
    CostRule cost,
    boolean named) {
  public EndpointSpec {
    Objects.requireNonNull(name);
    Objects.requireNonNull(method);
    Objects.requireNonNull(pathTemplate);
    Objects.requireNonNull(body);
    Objects.requireNonNull(cost);
  }

  /** {@code "METHOD /path/template"}, the other form a policy may use to name the endpoint. */
  public String signature() {
    return method + " " + pathTemplate;
  }
}
