package io.keybrake.extproc.gateway;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * Where the local gateway sends each vendor's traffic: the vendor's real API by default, or a base
 * URL from {@code KEYBRAKE_UPSTREAM_<VENDOR>} (simulators, tests). Immutable.
 */
public record Upstreams(Map<String, URI> byVendor) {
  public Upstreams {
    byVendor = Map.copyOf(byVendor);
  }

  public Optional<URI> of(String vendor) {
    return Optional.ofNullable(byVendor.get(vendor));
  }
}
