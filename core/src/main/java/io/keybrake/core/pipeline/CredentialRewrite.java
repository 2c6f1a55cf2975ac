package io.keybrake.core.pipeline;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rewrite that turns an admitted agent request into the vendor request: the vault key is
 * swapped for the real credential (header and, for Twilio, the account path segment), and the
 * routing headers the gateway reads are set.
 */
final class CredentialRewrite {
  private CredentialRewrite() {}

  static RequestRewrite of(Exchange ex) {
    KeyRecord key = ex.key;
    List<Map.Entry<String, String>> set = new ArrayList<>();
    Optional<String> path = Optional.empty();
    VendorCredential cred = key.credential();
    if (cred instanceof VendorCredential.Twilio t) {
      String basic = t.accountSid() + ":" + t.authToken();
      set.add(
          Map.entry(
              "authorization",
              "Basic "
                  + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8))));
      path = Optional.of(withPathVariable(ex, "AccountSid", t.accountSid()));
    } else if (cred instanceof VendorCredential.ApiKey k) {
      set.add(Map.entry("authorization", "Bearer " + k.secret()));
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
    return new RequestRewrite(path, set, ex.dropHeaders, ex.estimate.rewrittenBody(), true);
  }

  /** The request path with one template variable's segment replaced, query kept. */
  static String withPathVariable(Exchange ex, String variable, String value) {
    String[] template = ex.match.endpoint().pathTemplate().split("/", -1);
    String[] actual = ex.encodedPath.split("/", -1);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < actual.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      boolean replace = i < template.length && template[i].equals("{" + variable + "}");
      b.append(replace ? value : actual[i]);
    }
    String raw = ex.head.path();
    int q = raw.indexOf('?');
    if (q >= 0) {
      b.append(raw, q, raw.length());
    }
    return b.toString();
  }
}
