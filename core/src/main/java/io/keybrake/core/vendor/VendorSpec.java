package io.keybrake.core.vendor;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A vendor as data: its upstream, how agents present keys, and its endpoints. Loaded from a YAML
 * spec by {@link VendorSpecParser}. Immutable and thread-safe.
 *
 * @param forwardHeaders the request headers (lower case) an agent may send on to the vendor; every
 *     other header is dropped
 * @param accountHeaders headers (lower case) that make a call act on another account (Stripe's
 *     {@code Stripe-Account}): forwarded only when the policy lists the account
 * @param credential the fields of the real credential and where each is injected
 * @param keyPathVariable the path template variable that carries the vault key, for {@link
 *     KeyPresentation#PATH_SEGMENT}
 * @param refusal the shape of a refusal's body for this vendor's SDKs
 * @param hosts the vendor's API host names (the upstream's host first): a request addressed to one
 *     of them is for this vendor
 * @param priceSource where the prices come from (a pricing file, the spec itself, the response)
 */
public record VendorSpec(
    String id,
    URI upstream,
    List<KeyPresentation> keyPresentation,
    List<EndpointSpec> endpoints,
    List<String> forwardHeaders,
    List<String> accountHeaders,
    List<CredentialField> credential,
    Optional<String> keyPathVariable,
    RefusalEnvelope refusal,
    List<String> hosts,
    String priceSource) {

  /** A vendor with one Bearer secret, a plain refusal envelope and prices from its spec. */
  public VendorSpec(
      String id,
      URI upstream,
      List<KeyPresentation> keyPresentation,
      List<EndpointSpec> endpoints,
      List<String> forwardHeaders,
      List<String> accountHeaders) {
    this(
        id,
        upstream,
        keyPresentation,
        endpoints,
        forwardHeaders,
        accountHeaders,
        List.of(
            new CredentialField(
                "api_key",
                true,
                Optional.empty(),
                "a non-empty key",
                List.of(new CredentialField.Injection(CredentialField.Injection.Kind.BEARER, "")))),
        Optional.empty(),
        RefusalEnvelope.PLAIN,
        List.of(),
        "spec");
  }

  /** A vendor that forwards no agent header and has no account header. */
  public VendorSpec(
      String id,
      URI upstream,
      List<KeyPresentation> keyPresentation,
      List<EndpointSpec> endpoints) {
    this(id, upstream, keyPresentation, endpoints, List.of(), List.of());
  }

  public VendorSpec {
    forwardHeaders = lowerCase(forwardHeaders);
    accountHeaders = lowerCase(accountHeaders);
    Objects.requireNonNull(id);
    Objects.requireNonNull(upstream);
    keyPresentation = List.copyOf(keyPresentation);
    endpoints = List.copyOf(endpoints);
    credential = List.copyOf(credential);
    Objects.requireNonNull(keyPathVariable);
    Objects.requireNonNull(refusal);
    Objects.requireNonNull(priceSource);
    java.util.LinkedHashSet<String> allHosts = new java.util.LinkedHashSet<>();
    if (upstream.getHost() != null) {
      allHosts.add(upstream.getHost().toLowerCase(java.util.Locale.ROOT));
    }
    hosts.forEach(h -> allHosts.add(h.toLowerCase(java.util.Locale.ROOT)));
    hosts = List.copyOf(allHosts);
    for (EndpointSpec e : endpoints) {
      PathTemplate template = PathTemplate.of(e.pathTemplate());
      if (template.isCatchAll() == e.named()) {
        throw new IllegalArgumentException(
            "vendor "
                + id
                + ": endpoint "
                + e.name()
                + " must be named=false iff it is a catch-all");
      }
    }
  }

  /**
   * The endpoint serving {@code method} on {@code normalizedPath} (a {@link
   * io.keybrake.core.request.NormalizedPath#path()}). Exact templates are tried first, the ones
   * with more literal segments before the others; catch-alls last.
   */
  public Optional<EndpointMatch> match(String method, String normalizedPath) {
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < endpoints.size(); i++) {
      EndpointSpec e = endpoints.get(i);
      if (e.method().equals(method)) {
        candidates.add(new Candidate(e, PathTemplate.of(e.pathTemplate()), i));
      }
    }
    candidates.sort(
        Comparator.comparing((Candidate c) -> c.template().isCatchAll())
            .thenComparing(c -> -c.template().literalSegments())
            .thenComparingInt(Candidate::order));
    for (Candidate c : candidates) {
      Optional<Map<String, String>> variables = c.template().match(normalizedPath);
      if (variables.isPresent()) {
        return Optional.of(new EndpointMatch(c.endpoint(), variables.get()));
      }
    }
    return Optional.empty();
  }

  /** The credential field called {@code name}, if any. */
  public Optional<CredentialField> credentialField(String name) {
    return credential.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  /** The kinds of destination this vendor's calls send to (phone numbers, email addresses). */
  public java.util.Set<GenericCost.DestinationKind> destinationKinds() {
    java.util.Set<GenericCost.DestinationKind> out =
        java.util.EnumSet.noneOf(GenericCost.DestinationKind.class);
    for (EndpointSpec e : endpoints) {
      out.add(e.generic().map(GenericCost::destinationKind).orElse(e.cost().destinations()));
    }
    out.remove(GenericCost.DestinationKind.NONE);
    return out;
  }

  /**
   * The path template variables the gateway overwrites with a credential field ({@code
   * path:<Variable>} injection, Twilio's {@code AccountSid}): what the agent sent in those segments
   * never reaches the vendor, so it is no part of what the call is.
   */
  public java.util.Set<String> credentialPathVariables() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (CredentialField f : credential) {
      for (CredentialField.Injection i : f.inject()) {
        if (i.kind() == CredentialField.Injection.Kind.PATH) {
          out.add(i.target());
        }
      }
    }
    return java.util.Collections.unmodifiableSet(out);
  }

  /** Whether the vendor's SDKs may present a vault key this way. */
  public boolean accepts(KeyPresentation presentation) {
    return keyPresentation.contains(presentation);
  }

  /** The endpoint called {@code name}, if any. */
  public Optional<EndpointSpec> endpoint(String name) {
    return endpoints.stream().filter(e -> e.name().equals(name)).findFirst();
  }

  private static List<String> lowerCase(List<String> names) {
    return names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList();
  }

  private record Candidate(EndpointSpec endpoint, PathTemplate template, int order) {}
}
