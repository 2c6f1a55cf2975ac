package io.keybrake.core.pipeline;

import io.keybrake.core.policy.EndpointEntry;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.EndpointSpec;
import java.util.Optional;

/**
 * Step 2 of a decision: is this endpoint in the key's scope? An empty {@code allowed_endpoints}
 * allows every endpoint the vendor spec names (not its catch-all). An entry is an endpoint name
 * ({@code messages.create}), {@code "METHOD /path"} where {@code *} matches one path segment and a
 * trailing {@code /**} any rest, or a bare path ({@code /v1/invoices}) that allows every method on
 * it and below it (see {@link EndpointEntry}). An entry that does not parse allows nothing.
 * Stateless.
 */
final class EndpointScope {
  private EndpointScope() {}

  static boolean allows(Policy policy, EndpointMatch match, String method, String path) {
    EndpointSpec ep = match.endpoint();
    if (policy.allowedEndpoints().isEmpty()) {
      return ep.named();
    }
    for (String text : policy.allowedEndpoints()) {
      Optional<EndpointEntry> entry = EndpointEntry.parse(text);
      if (entry.isPresent() && entry.get().allows(ep, method, path)) {
        return true;
      }
    }
    return false;
  }
}
