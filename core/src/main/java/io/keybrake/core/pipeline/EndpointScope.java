package io.keybrake.core.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
 * it and below it (see {@link EndpointEntry}). An entry that does not parse allows nothing. Parsed
 * entries are remembered by their text (a policy's entries were parsed on every call: about 1 % of
 * the gateway's CPU at 16 connections). Thread-safe.
 */
final class EndpointScope {
  /** Distinct entry texts remembered (policies share a few; each is under a kilobyte). */
  static final int REMEMBERED = 10_000;

  private static final Cache<String, Optional<EndpointEntry>> PARSED =
      Caffeine.newBuilder().maximumSize(REMEMBERED).executor(Runnable::run).build();

  private EndpointScope() {}

  static boolean allows(Policy policy, EndpointMatch match, String method, String path) {
    EndpointSpec ep = match.endpoint();
    if (policy.allowedEndpoints().isEmpty()) {
      return ep.named();
    }
    for (String text : policy.allowedEndpoints()) {
      Optional<EndpointEntry> entry = PARSED.get(text, EndpointEntry::parse);
      if (entry.isPresent() && entry.get().allows(ep, method, path)) {
        return true;
      }
    }
    return false;
  }
}
