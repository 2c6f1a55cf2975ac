package io.keybrake.harness.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code SendGridSimulator} plays SendGrid's Mail Send v3 ({@code POST /v3/mail/send}) for one API
 * key, as SendGrid documents it: {@code Authorization: Bearer SG.…}; a JSON body with {@code
 * personalizations} (1 to 1000, each with {@code to}), {@code from.email}, {@code subject} and
 * {@code content}. Success is 202 with an empty body and {@code X-Message-Id}; errors are {@code
 * {"errors":[{"message","field","help"}]}} with 400, 401 or 403. Thread-safe.
 */
public final class SendGridSimulator extends VendorSimulator {
  private final String apiKey;
  private final AtomicLong ids = new AtomicLong();

  public SendGridSimulator(String apiKey) {
    this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
  }

  @Override
  public SendGridSimulator start() {
    super.start();
    return this;
  }

  @Override
  protected SimResponse respond(RecordedRequest request) {
    Optional<String> presented = Ids.bearer(request.header("Authorization"));
    if (presented.isEmpty() || presented.get().isEmpty()) {
      return error(401, "authorization required", null);
    }
    if (!Ids.same(presented.get(), apiKey)) {
      return error(401, "The provided authorization grant is invalid, expired, or revoked", null);
    }
    if (!request.method().equals("POST") || !request.path().equals("/v3/mail/send")) {
      return error(404, "not found", null);
    }
    JsonNode body;
    try {
      body = JSON.readTree(request.bodyText());
    } catch (JsonProcessingException e) {
      return error(400, "Bad Request", null);
    }
    if (body == null || !body.isObject()) {
      return error(400, "Bad Request", null);
    }
    JsonNode personalizations = body.get("personalizations");
    if (personalizations == null
        || !personalizations.isArray()
        || personalizations.isEmpty()
        || personalizations.size() > 1000) {
      return error(
          400,
          "The personalizations field is required and must have at least one personalization.",
          "personalizations");
    }
    for (int i = 0; i < personalizations.size(); i++) {
      JsonNode to = personalizations.get(i).get("to");
      if (to == null || !to.isArray() || to.isEmpty()) {
        return error(
            400,
            "The to array is required for all personalization objects, and must have at least"
                + " one email object with a valid email address.",
            "personalizations." + i + ".to");
      }
    }
    if (body.path("from").path("email").asText("").isEmpty()) {
      return error(400, "The from object must be provided for every email send.", "from");
    }
    if (!body.hasNonNull("subject") && !body.hasNonNull("template_id")) {
      return error(400, "The subject is required.", "subject");
    }
    return new SimResponse(202, java.util.List.of(), "")
        .withHeader("X-Message-Id", "sg" + Long.toHexString(ids.incrementAndGet()));
  }

  @Override
  protected SimResponse forcedError(int status) {
    return error(status, status == 429 ? "too many requests" : "internal error", null);
  }

  private static SimResponse error(int status, String message, String field) {
    ObjectNode o = JSON.createObjectNode();
    ObjectNode e = o.putArray("errors").addObject();
    e.put("message", message);
    if (field == null) {
      e.putNull("field");
    } else {
      e.put("field", field);
    }
    e.putNull("help");
    return SimResponse.json(status, o.toString());
  }
}
