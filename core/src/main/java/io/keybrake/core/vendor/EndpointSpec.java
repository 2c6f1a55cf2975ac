package io.keybrake.core.vendor;

import java.util.Objects;
import java.util.Optional;

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
 * @param generic the spec's own cost rule when {@code cost} is {@link CostRule#GENERIC}
 */
public record EndpointSpec(
    String name,
    String method,
    String pathTemplate,
    BodyFormat body,
    CostRule cost,
    boolean named,
    Optional<GenericCost> generic) {

  /** An endpoint with a cost rule from code. */
  public EndpointSpec(
      String name,
      String method,
      String pathTemplate,
      BodyFormat body,
      CostRule cost,
      boolean named) {
    this(name, method, pathTemplate, body, cost, named, Optional.empty());
  }

  public EndpointSpec {
    Objects.requireNonNull(generic);
    if ((cost == CostRule.GENERIC) != generic.isPresent()) {
      throw new IllegalArgumentException(
          "endpoint " + name + ": a GENERIC cost needs its rule, and only it has one");
    }
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
