package io.keybrake.harness.sim;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code FormBody} is a parsed {@code application/x-www-form-urlencoded} body: decoded names (with
 * Stripe's bracket nesting kept verbatim, e.g. {@code metadata[order]}) to their values in order.
 * Immutable and thread-safe.
 */
public record FormBody(Map<String, List<String>> fields) {

  public FormBody {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    fields.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    fields = java.util.Collections.unmodifiableMap(copy);
  }

  /** Parses {@code text}; malformed percent escapes throw {@link IllegalArgumentException}. */
  public static FormBody parse(String text) {
    Map<String, List<String>> fields = new LinkedHashMap<>();
    if (text != null && !text.isEmpty()) {
      for (String pair : text.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        fields.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      }
    }
    return new FormBody(fields);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** The first value of {@code name}. */
  public Optional<String> first(String name) {
    List<String> values = fields.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** True when {@code name} is present with a non-empty value. */
  public boolean has(String name) {
    return first(name).filter(v -> !v.isEmpty()).isPresent();
  }

  /** The entries {@code prefix[key]=value} as a map {@code key -> value}. */
  public Map<String, String> nested(String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    String start = prefix + "[";
    fields.forEach(
        (k, v) -> {
          if (k.startsWith(start) && k.endsWith("]") && !v.isEmpty()) {
            out.put(k.substring(start.length(), k.length() - 1), v.get(0));
          }
        });
    return out;
  }
}
