package io.keybrake.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --label k=v} options: parsing, and whether a key's labels match all of them. */
final class Labels {
  private Labels() {}

  /** The labels, or null when one is not {@code k=v}. */
  static Map<String, String> parse(List<String> given) {
    Map<String, String> out = new LinkedHashMap<>();
    if (given == null) {
      return out;
    }
    for (String l : given) {
      int eq = l.indexOf('=');
      if (eq <= 0) {
        return null;
      }
      out.put(l.substring(0, eq), l.substring(eq + 1));
    }
    return out;
  }

  static boolean matches(JsonNode key, Map<String, String> wanted) {
    JsonNode labels = key.path("labels");
    for (Map.Entry<String, String> w : wanted.entrySet()) {
      if (!w.getValue().equals(labels.path(w.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }
}
