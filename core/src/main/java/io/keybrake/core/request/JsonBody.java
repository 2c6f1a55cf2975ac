package io.keybrake.core.request;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON bodies: UTF-8 only, no duplicate keys, nothing after the value, no comments or other
 * extensions. Anything else is refused with {@code unreadable_request}. Thread-safe.
 */
public final class JsonBody {
  private static final JsonMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(64).build())
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  private JsonBody() {}

  /** Parses {@code body}; an empty or blank body is refused. */
  public static JsonNode parse(byte[] body) throws RequestRejected {
    String text;
    try {
      text = Utf8.decodeStrict(body);
    } catch (IllegalArgumentException e) {
      throw reject("JSON body is not valid UTF-8");
    }
    if (text.isBlank()) {
      throw reject("JSON body is empty");
    }
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw reject("JSON body is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw reject("malformed JSON body: " + e.getOriginalMessage());
    }
  }

  /** Compact JSON text with object keys sorted at every level: a stable fingerprint input. */
  public static String canonical(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(sorted(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a parsed JSON tree", e);
    }
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      node.properties().forEach(entries::add);
      entries.sort(Map.Entry.comparingByKey());
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      for (Map.Entry<String, JsonNode> e : entries) {
        out.set(e.getKey(), sorted(e.getValue()));
      }
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      for (JsonNode element : node) {
        out.add(sorted(element));
      }
      return out;
    }
    return node;
  }

  private static RequestRejected reject(String message) {
    return new RequestRejected(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
