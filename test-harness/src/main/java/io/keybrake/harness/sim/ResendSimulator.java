package io.keybrake.harness.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ResendSimulator} plays Resend's email API for one API key: {@code POST /emails} (JSON
 * object) answers 200 {@code {"id": uuid}}, {@code POST /emails/batch} (JSON array, at most 100)
 * answers 200 {@code {"data":[{"id"}…]}}, {@code GET /emails/{id}} returns the email. Validation
 * failures answer 422 {@code {"statusCode":422,"name":"validation_error","message"}}; a missing key
 * 401 {@code missing_api_key}, a wrong one 403 {@code invalid_api_key}, as Resend documents.
 * Thread-safe.
 */
public final class ResendSimulator extends VendorSimulator {
  private final String apiKey;
  private final Clock clock;
  private final Map<String, ObjectNode> emails = new ConcurrentHashMap<>();

  public ResendSimulator(String apiKey) {
    this(apiKey, Clock.systemUTC());
  }

  public ResendSimulator(String apiKey, Clock clock) {
    this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public ResendSimulator start() {
    super.start();
    return this;
  }

  @Override
  protected SimResponse respond(RecordedRequest request) {
    Optional<String> presented = Ids.bearer(request.header("Authorization"));
    if (presented.isEmpty() || presented.get().isEmpty()) {
      return error(
          401,
          "missing_api_key",
          "Missing API key in the authorization header. Include the following header"
              + " 'Authorization: Bearer YOUR_API_KEY' in the request.");
    }
    if (!Ids.same(presented.get(), apiKey)) {
      return error(403, "invalid_api_key", "API key is invalid");
    }
    String path = request.path();
    if (request.method().equals("GET") && path.startsWith("/emails/")) {
      ObjectNode email = emails.get(path.substring("/emails/".length()));
      return email == null
          ? error(404, "not_found", "Email not found")
          : SimResponse.json(200, email.toString());
    }
    if (!request.method().equals("POST")
        || !(path.equals("/emails") || path.equals("/emails/batch"))) {
      return error(404, "not_found", "The requested endpoint does not exist.");
    }
    JsonNode body;
    try {
      body = JSON.readTree(request.bodyText());
    } catch (JsonProcessingException e) {
      return error(422, "validation_error", "Invalid JSON body.");
    }
    if (body == null) {
      return error(422, "validation_error", "Missing request body.");
    }
    return path.equals("/emails") ? send(body) : batch(body);
  }

  private SimResponse send(JsonNode body) {
    if (!body.isObject()) {
      return error(422, "validation_error", "The request body must be a JSON object.");
    }
    Optional<String> invalid = validate(body);
    if (invalid.isPresent()) {
      return error(422, "validation_error", invalid.get());
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", store(body));
    return SimResponse.json(200, out.toString());
  }

  private SimResponse batch(JsonNode body) {
    if (!body.isArray()) {
      return error(422, "validation_error", "The request body must be a JSON array of emails.");
    }
    if (body.isEmpty() || body.size() > 100) {
      return error(422, "validation_error", "A batch must contain between 1 and 100 emails.");
    }
    for (int i = 0; i < body.size(); i++) {
      Optional<String> invalid = validate(body.get(i));
      if (invalid.isPresent()) {
        return error(422, "validation_error", "emails[" + i + "]: " + invalid.get());
      }
    }
    ObjectNode out = JSON.createObjectNode();
    ArrayNode data = out.putArray("data");
    for (JsonNode email : body) {
      data.addObject().put("id", store(email));
    }
    return SimResponse.json(200, out.toString());
  }

  private static Optional<String> validate(JsonNode email) {
    if (!email.isObject()) {
      return Optional.of("Each email must be a JSON object.");
    }
    if (!email.hasNonNull("from") || email.get("from").asText().isBlank()) {
      return Optional.of("Missing `from` field.");
    }
    JsonNode to = email.get("to");
    if (to == null || to.isNull() || (to.isTextual() && to.asText().isBlank())) {
      return Optional.of("Missing `to` field.");
    }
    if (to.isArray() && (to.isEmpty() || to.size() > 50)) {
      return Optional.of("The `to` field must contain between 1 and 50 recipients.");
    }
    if (!email.hasNonNull("subject")) {
      return Optional.of("Missing `subject` field.");
    }
    if (!email.hasNonNull("html") && !email.hasNonNull("text") && !email.hasNonNull("react")) {
      return Optional.of("Missing `html` or `text` field.");
    }
    return Optional.empty();
  }

  private String store(JsonNode email) {
    String id = UUID.randomUUID().toString();
    ObjectNode o = JSON.createObjectNode();
    o.put("object", "email");
    o.put("id", id);
    o.set(
        "to",
        email.get("to").isArray() ? email.get("to") : JSON.createArrayNode().add(email.get("to")));
    o.set("from", email.get("from"));
    o.put("created_at", DateTimeFormatter.ISO_INSTANT.format(clock.instant()));
    o.set("subject", email.get("subject"));
    o.set("html", email.path("html").isMissingNode() ? null : email.get("html"));
    o.set("text", email.path("text").isMissingNode() ? null : email.get("text"));
    o.set("cc", email.path("cc").isMissingNode() ? null : email.get("cc"));
    o.set("bcc", email.path("bcc").isMissingNode() ? null : email.get("bcc"));
    o.set("reply_to", email.path("reply_to").isMissingNode() ? null : email.get("reply_to"));
    o.put("last_event", "sent");
    emails.put(id, o);
    return id;
  }

  @Override
  protected SimResponse forcedError(int status) {
    return switch (status) {
      case 422 -> error(422, "validation_error", "Invalid request.");
      case 429 ->
          error(
              429,
              "rate_limit_exceeded",
              "Too many requests. You can only make 2 requests per second.");
      default -> error(status, "internal_server_error", "An unexpected error occurred.");
    };
  }

  private static SimResponse error(int status, String name, String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("statusCode", status);
    o.put("name", name);
    o.put("message", message);
    return SimResponse.json(status, o.toString());
  }
}
