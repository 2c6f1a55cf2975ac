package io.keybrake.harness.envoy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Static lookups over an ordered, multi-valued header list. Stateless and thread-safe. */
final class Headers {
  private Headers() {}

  static Optional<String> first(List<Map.Entry<String, String>> headers, String name) {
    for (Map.Entry<String, String> e : headers) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  static List<String> all(List<Map.Entry<String, String>> headers, String name) {
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, String> e : headers) {
      if (e.getKey().equalsIgnoreCase(name)) {
        values.add(e.getValue());
      }
    }
    return List.copyOf(values);
  }

  static List<Map.Entry<String, String>> copy(List<Map.Entry<String, String>> headers) {
    List<Map.Entry<String, String>> out = new ArrayList<>(headers.size());
    for (Map.Entry<String, String> e : headers) {
      out.add(Map.entry(e.getKey(), e.getValue()));
    }
    return List.copyOf(out);
  }

  static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
