package io.keybrake.core.policy;

import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.VendorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a policy's {@code allowed_endpoints} means for one vendor: the endpoints of its spec each
 * entry lets a request through to. The admin API shows it so an operator sees the policy as
 * Keybrake understood it. Stateless and thread-safe.
 */
public final class AllowedEndpoints {
  /** The key under which {@link #of} lists the endpoints an empty list allows. */
  public static final String EVERY_NAMED = "*";

  private AllowedEndpoints() {}

  /**
   * Each entry of {@code policy}'s {@code allowed_endpoints} mapped to the endpoints it reaches, in
   * spec order. An empty list maps {@link #EVERY_NAMED} to every named endpoint. An entry that does
   * not parse maps to nothing.
   */
  public static Map<String, List<EndpointSpec>> of(Policy policy, VendorSpec vendor) {
    Map<String, List<EndpointSpec>> out = new LinkedHashMap<>();
    if (policy.allowedEndpoints().isEmpty()) {
      out.put(EVERY_NAMED, vendor.endpoints().stream().filter(EndpointSpec::named).toList());
      return out;
    }
    for (String text : policy.allowedEndpoints()) {
      out.put(text, EndpointEntry.parse(text).map(e -> expand(e, vendor)).orElse(List.of()));
    }
    return out;
  }

  /** The vendor's endpoints {@code entry} lets some request through to, in spec order. */
  static List<EndpointSpec> expand(EndpointEntry entry, VendorSpec vendor) {
    List<EndpointSpec> out = new ArrayList<>();
    for (EndpointSpec ep : vendor.endpoints()) {
      if (entry.reaches(ep)) {
        out.add(ep);
      }
    }
    return out;
  }
}
