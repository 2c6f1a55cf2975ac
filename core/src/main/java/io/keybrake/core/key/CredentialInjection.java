package io.keybrake.core.key;

import io.keybrake.core.vendor.CredentialField;
import io.keybrake.core.vendor.VendorSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a real credential goes on a request to its vendor, as the spec's {@code inject} entries
 * say: the {@code Authorization} header (Basic user and password, or Bearer), other headers, and
 * path segments. Used for forwarded calls and for the gateway's own lookups. Stateless.
 */
public final class CredentialInjection {
  private CredentialInjection() {}

  /** The request headers (lower-case names) that carry the credential. */
  public static List<Map.Entry<String, String>> headers(VendorSpec spec, VendorCredential cred) {
    Map<String, String> values = cred.values(spec);
    String user = null;
    String password = "";
    String bearer = null;
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (CredentialField f : spec.credential()) {
      String v = values.get(f.name());
      for (CredentialField.Injection i : f.inject()) {
        switch (i.kind()) {
          case BASIC_USER -> user = v;
          case BASIC_PASSWORD -> password = v;
          case BEARER -> bearer = v;
          case HEADER -> out.add(Map.entry(i.target().toLowerCase(Locale.ROOT), v));
          case PATH -> {}
        }
      }
    }
    if (user != null) {
      String basic = user + ":" + password;
      out.add(
          0,
          Map.entry(
              "authorization",
              "Basic "
                  + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8))));
    } else if (bearer != null) {
      out.add(0, Map.entry("authorization", "Bearer " + bearer));
    }
    return out;
  }

  /** The value per path template variable that carries a credential field. */
  public static Map<String, String> pathValues(VendorSpec spec, VendorCredential cred) {
    Map<String, String> values = cred.values(spec);
    Map<String, String> out = new LinkedHashMap<>();
    for (CredentialField f : spec.credential()) {
      for (CredentialField.Injection i : f.inject()) {
        if (i.kind() == CredentialField.Injection.Kind.PATH) {
          out.put(i.target(), values.get(f.name()));
        }
      }
    }
    return out;
  }
}
