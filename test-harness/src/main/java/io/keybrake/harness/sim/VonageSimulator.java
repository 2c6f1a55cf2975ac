package io.keybrake.harness.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code VonageSimulator} plays Vonage's SMS API ({@code POST /sms/json}) for one account, as
 * Vonage documents it: the API key and secret as HTTP Basic or as {@code api_key} / {@code
 * api_secret} fields; a form or JSON body with {@code from}, {@code to} (digits, no {@code +}) and
 * {@code text}. Every answer is 200 with {@code message-count} and one entry per part under {@code
 * messages}: {@code status "0"}, {@code message-id}, {@code to}, {@code message-price}, {@code
 * remaining-balance}, {@code network}; a failure has a non-zero {@code status} and {@code
 * error-text} (2 missing parameters, 3 invalid parameters, 4 bad credentials). Thread-safe.
 */
public final class VonageSimulator extends VendorSimulator {
  private static final String PRICE_PER_PART = "0.00850000";
  private final String apiKey;
  private final String apiSecret;
  private final AtomicLong ids = new AtomicLong(0x0A00000000000000L);

  public VonageSimulator(String apiKey, String apiSecret) {
    this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
    this.apiSecret = Objects.requireNonNull(apiSecret, "apiSecret");
  }

  @Override
  public VonageSimulator start() {
    super.start();
    return this;
  }

  @Override
  protected SimResponse respond(RecordedRequest request) {
    if (!request.method().equals("POST") || !request.path().equals("/sms/json")) {
      return SimResponse.json(404, "{\"type\":\"NOT_FOUND\",\"title\":\"Not Found\"}");
    }
    Map<String, String> fields = new HashMap<>();
    String type = request.header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    if (type.startsWith("application/json")) {
      try {
        JsonNode body = JSON.readTree(request.bodyText());
        if (body == null || !body.isObject()) {
          return failure(2, "Missing Parameters", "");
        }
        body.properties().forEach(e -> fields.put(e.getKey(), e.getValue().asText()));
      } catch (JsonProcessingException e) {
        return failure(3, "Invalid Parameters", "");
      }
    } else {
      request.form().fields().forEach((k, v) -> fields.put(k, v.isEmpty() ? "" : v.get(0)));
    }
    String key = fields.get("api_key");
    String secret = fields.get("api_secret");
    Optional<String> basic = Ids.basic(request.header("Authorization"));
    if (basic.isPresent()) {
      int colon = basic.get().indexOf(':');
      key = colon < 0 ? basic.get() : basic.get().substring(0, colon);
      secret = colon < 0 ? "" : basic.get().substring(colon + 1);
    }
    String to = fields.getOrDefault("to", "");
    if (key == null || secret == null) {
      return failure(2, "Missing api_key", to);
    }
    if (!Ids.same(key, apiKey) || !Ids.same(secret, apiSecret)) {
      return failure(4, "Bad Credentials", to);
    }
    if (!fields.containsKey("from") || to.isEmpty() || !fields.containsKey("text")) {
      return failure(2, "Missing from, to or text param", to);
    }
    if (!to.matches("[0-9]{7,15}")) {
      return failure(3, "Invalid to param", to);
    }
    int parts = Math.max(1, SmsSegments.count(fields.get("text")));
    ObjectNode out = JSON.createObjectNode();
    out.put("message-count", Integer.toString(parts));
    ArrayNode messages = out.putArray("messages");
    for (int i = 0; i < parts; i++) {
      ObjectNode m = messages.addObject();
      m.put("to", to);
      m.put("message-id", Long.toHexString(ids.incrementAndGet()).toUpperCase(Locale.ROOT));
      m.put("status", "0");
      m.put("remaining-balance", "3.14159265");
      m.put("message-price", PRICE_PER_PART);
      m.put("network", "23410");
    }
    return SimResponse.json(200, out.toString());
  }

  private static SimResponse failure(int status, String text, String to) {
    ObjectNode out = JSON.createObjectNode();
    out.put("message-count", "1");
    ObjectNode m = out.putArray("messages").addObject();
    if (!to.isEmpty()) {
      m.put("to", to);
    }
    m.put("status", Integer.toString(status));
    m.put("error-text", text);
    return SimResponse.json(200, out.toString());
  }

  @Override
  protected SimResponse forcedError(int status) {
    return status == 429
        ? failure(1, "Throughput Rate Exceeded - please wait [ 30 ] and retry", "").withStatus(429)
        : failure(5, "Internal Error", "").withStatus(status);
  }
}
