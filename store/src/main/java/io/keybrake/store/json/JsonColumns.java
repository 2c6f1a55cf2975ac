package io.keybrake.store.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * {@code JsonColumns} encodes the JSON columns of the SQLite and PostgreSQL stores (one format for
 * both): labels (keys sorted), policies (every field, exactly) and response headers (ordered
 * name/value pairs). Stateless and thread-safe.
 */
public final class JsonColumns {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonColumns() {}

  public static String labels(Map<String, String> labels) {
    ObjectNode node = JSON.createObjectNode();
    new TreeMap<>(labels).forEach(node::put);
    return node.toString();
  }

  public static Map<String, String> labels(String json) {
    JsonNode node = parse(json, "labels");
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  public static String policy(Policy p) {
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
    // written only when set, so policies without them keep the column's earlier form
    if (!p.allowedTwimlUrls().isEmpty()) {
      strings(n.putArray("allowed_twiml_urls"), p.allowedTwimlUrls());
    }
    if (!p.allowedAccounts().isEmpty()) {
      strings(n.putArray("allowed_accounts"), p.allowedAccounts());
    }
    if (p.maxCallMicros().isPresent()) {
      n.put("max_call_micros", p.maxCallMicros().getAsLong());
    }
    if (!p.guards().equals(io.keybrake.core.policy.PolicyGuards.NONE)) {
      n.set("guards", io.keybrake.core.policy.PolicyParser.guardsJson(p.guards()));
    }
    return n.toString();
  }

  public static Policy policy(String json) {
    JsonNode n = parse(json, "policy");
    JsonNode total = n.path("total_cap_micros");
    JsonNode expires = n.path("expires_in");
    JsonNode maxCall = n.path("max_call_micros");
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
        ZoneId.of(n.required("time_zone").asText()),
        optionalStrings(n.path("allowed_twiml_urls")),
        optionalStrings(n.path("allowed_accounts")),
        maxCall.isNull() || maxCall.isMissingNode()
            ? OptionalLong.empty()
            : OptionalLong.of(maxCall.asLong()),
        io.keybrake.core.policy.PolicyParser.guards(n.path("guards")));
  }

  /** A list column added later: absent in rows written before it existed. */
  private static List<String> optionalStrings(JsonNode arr) {
    return arr.isMissingNode() || arr.isNull() ? List.of() : strings(arr);
  }

  public static String headers(List<Map.Entry<String, String>> headers) {
    ArrayNode arr = JSON.createArrayNode();
    for (Map.Entry<String, String> h : headers) {
      arr.addArray().add(h.getKey()).add(h.getValue());
    }
    return arr.toString();
  }

  public static List<Map.Entry<String, String>> headers(String json) {
    JsonNode arr = parse(json, "headers");
    List<Map.Entry<String, String>> out = new ArrayList<>(arr.size());
    for (JsonNode pair : arr) {
      out.add(Map.entry(pair.get(0).asText(), pair.get(1).asText()));
    }
    return out;
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
