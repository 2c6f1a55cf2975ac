package io.keybrake.core.pipeline;

import io.keybrake.core.key.CredentialInjection;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.vendor.VendorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rewrite that turns an admitted agent request into the vendor request: the vault key is
 * swapped for the real credential where the vendor's spec injects it (the {@code Authorization}
 * header, other headers, path segments such as Twilio's account SID), and the routing headers the
 * gateway reads are set.
 */
final class CredentialRewrite {
  private CredentialRewrite() {}

  static RequestRewrite of(Exchange ex) {
    KeyRecord key = ex.key;
    VendorSpec vendor = ex.vendor;
    List<Map.Entry<String, String>> set =
        new ArrayList<>(CredentialInjection.headers(vendor, key.credential()));
    Optional<String> path = Optional.empty();
    Map<String, String> pathValues = CredentialInjection.pathValues(vendor, key.credential());
    if (!pathValues.isEmpty()) {
      path = Optional.of(withPathVariables(ex, pathValues));
    }
    if (ex.formFromJson) {
      set.add(Map.entry("content-type", "application/x-www-form-urlencoded"));
    }
    set.add(Map.entry(ForwardedHeaders.KEY_ID_HEADER, key.id()));
    set.add(Map.entry(ForwardedHeaders.VENDOR_HEADER, key.vendor()));
    set.add(
        Map.entry(
            io.keybrake.core.key.RouteShards.HEADER,
            io.keybrake.core.key.RouteShards.of(key.id())));
    List<String> drop = ex.dropHeaders;
    if (set.stream().noneMatch(h -> h.getKey().equals("authorization"))) {
      // the credential goes elsewhere (a header of its own): the vault key the agent sent in
      // Authorization must not reach the vendor
      drop = new ArrayList<>(drop);
      drop.add("authorization");
    }
    return new RequestRewrite(path, set, drop, ex.estimate.rewrittenBody(), true);
  }

  /**
   * The request path with every segment the vendor's spec fills with a credential field blanked
   * ({@link VendorSpec#credentialPathVariables()}): two calls that differ only there are the same
   * call to the vendor.
   */
  static String withCredentialSegmentsBlanked(Exchange ex) {
    Map<String, String> blanks = new java.util.HashMap<>();
    ex.vendor.credentialPathVariables().forEach(v -> blanks.put(v, "-"));
    return withPathVariables(ex, blanks);
  }

  /** The request path with template variables' segments replaced, query kept. */
  static String withPathVariables(Exchange ex, Map<String, String> values) {
    String[] template = ex.match.endpoint().pathTemplate().split("/", -1);
    String[] actual = ex.encodedPath.split("/", -1);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < actual.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      String replacement = null;
      if (i < template.length && template[i].startsWith("{") && template[i].endsWith("}")) {
        replacement = values.get(template[i].substring(1, template[i].length() - 1));
      }
      b.append(replacement != null ? replacement : actual[i]);
    }
    String raw = ex.head.path();
    int q = raw.indexOf('?');
    if (q >= 0) {
      b.append(raw, q, raw.length());
    }
    return b.toString();
  }
}
