package io.keybrake.store.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * {@code PostgresJson} encodes the {@code jsonb} columns: labels (an object of strings) and
 * policies, in exactly the embedded store's JSON format (same field names and encodings), so a
 * policy can move between the two stores unchanged. Stateless and thread-safe.
 */
final class PostgresJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PostgresJson() {}

  static String labels(Map<String, String> labels) {
    ObjectNode node = JSON.createObjectNode();
    new TreeMap<>(labels).forEach(node::put);
    return node.toString();
  }

  static Map<String, String> labels(String json) {
    JsonNode node = parse(json, "labels");
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  static String policy(Policy p) {
    ObjectNode n = JSON.createObjectNode();
    n.put("daily_cap_micros", p.dailyCapMicros());
    if (p.totalCapMicros().isPresent()) {
      n.put("total_cap_micros", p.totalCapMicros().getAsLong());
    } else {
      n.putNull("total_cap_micros");
    }
    strings(n.putArray("allowed_prefixes"), p.allowedPrefixes());
    strings(n.putArray("allowed_countries"), p.allowedCountries());
    strings(n.putArray("allowed_endpoints"), p.allowedEndpoints());
    n.put("dedup_window", p.dedupWindow().toString());
    if (p.expiresIn().isPresent()) {
      n.put("expires_in", p.expiresIn().get().toString());
    } else {
      n.putNull("expires_in");
    }
    n.put("max_call_seconds", p.maxCallSeconds());
    n.put("allow_premium", p.allowPremium());
    n.put("time_zone", p.timeZone().getId());
    return n.toString();
  }

  static Policy policy(String json) {
    JsonNode n = parse(json, "policy");
    JsonNode total = n.path("total_cap_micros");
    JsonNode expires = n.path("expires_in");
    return new Policy(
        n.required("daily_cap_micros").asLong(),
        total.isNull() || total.isMissingNode()
            ? OptionalLong.empty()
            : OptionalLong.of(total.asLong()),
        strings(n.required("allowed_prefixes")),
        strings(n.required("allowed_countries")),
        strings(n.required("allowed_endpoints")),
        Duration.parse(n.required("dedup_window").asText()),
        expires.isNull() || expires.isMissingNode()
            ? Optional.empty()
            : Optional.of(Duration.parse(expires.asText())),
        n.required("max_call_seconds").asLong(),
        n.required("allow_premium").asBoolean(),
        ZoneId.of(n.required("time_zone").asText()));
  }

  private static void strings(ArrayNode arr, List<String> values) {
    values.forEach(arr::add);
  }

  private static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>(arr.size());
    arr.forEach(v -> out.add(v.asText()));
    return out;
  }

  private static JsonNode parse(String json, String what) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored " + what + " column is not valid JSON", e);
    }
  }
}
