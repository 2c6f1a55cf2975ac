package io.keybrake.core.pipeline;

import io.keybrake.core.policy.Policy;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.EndpointSpec;
import java.util.Locale;

/**
 * Step 2 of a decision: is this endpoint in the key's scope? An empty {@code allowed_endpoints}
 * allows every endpoint the vendor spec names (not its catch-all). An entry is an endpoint name
 * ({@code messages.create}), or {@code "METHOD /path"} where {@code *} matches one path segment and
 * a trailing {@code /**} any rest. Stateless.
 */
final class EndpointScope {
  private EndpointScope() {}

  static boolean allows(Policy policy, EndpointMatch match, String method, String path) {
    EndpointSpec ep = match.endpoint();
    if (policy.allowedEndpoints().isEmpty()) {
      return ep.named();
    }
    for (String entry : policy.allowedEndpoints()) {
      if (entry.equals(ep.name()) && ep.named()) {
        return true;
      }
      int sp = entry.indexOf(' ');
      if (sp > 0) {
        String m = entry.substring(0, sp).trim().toUpperCase(Locale.ROOT);
        String p = entry.substring(sp + 1).trim();
        if ((m.equals("*") || m.equals(method)) && (p.equals(ep.pathTemplate()) || glob(p, path))) {
          return true;
        }
      }
    }
    return false;
  }

  static boolean glob(String pattern, String path) {
    String[] pp = pattern.split("/", -1);
    String[] ss = path.split("/", -1);
    for (int i = 0; i < pp.length; i++) {
      if (pp[i].equals("**") && i == pp.length - 1) {
        return ss.length >= pp.length;
      }
      if (i >= ss.length) {
        return false;
      }
      if (!pp[i].equals("*") && !pp[i].equals(ss[i])) {
        return false;
      }
    }
    return pp.length == ss.length;
  }
}
