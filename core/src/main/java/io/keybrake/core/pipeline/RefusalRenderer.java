package io.keybrake.core.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.secret.SecretMask;
import io.keybrake.core.vendor.RefusalEnvelope;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Renders a {@link Refusal} as the body the agent's SDK understands, in the envelope the vendor's
 * spec declares ({@link RefusalEnvelope}). Every body carries Keybrake's code, {@code message},
 * {@code status} and the refusal's details. {@code STRIPE} adds Stripe's {@code error} envelope;
 * {@code TWILIO} puts a numeric {@code code} (twilio-java only parses an integer there) with
 * Keybrake's code in {@code keybrake_code}; {@code TEMPLATE} fills the spec's JSON template (e.g.
 * Vonage's {@code messages[].status} / {@code error-text}). Thread-safe.
 */
public final class RefusalRenderer {
  private final ObjectMapper json = new ObjectMapper();
  private final VendorRegistry vendors;

  public RefusalRenderer(VendorRegistry vendors) {
    this.vendors = Objects.requireNonNull(vendors);
  }

  public RenderedResponse render(Refusal refusal, String vendor) {
    RefusalEnvelope envelope =
        vendor == null
            ? RefusalEnvelope.PLAIN
            : vendors.find(vendor).map(VendorSpec::refusal).orElse(RefusalEnvelope.PLAIN);
    RefusalCode code = refusal.code();
    // the message may quote the request (a path, a header): never let a secret in it out
    String message = SecretMask.mask(refusal.message());
    ObjectNode body = json.createObjectNode();
    switch (envelope.kind()) {
      case TWILIO -> {
        body.put("code", twilioCode(envelope, code));
        body.put("keybrake_code", code.wireName());
      }
      case TEMPLATE -> {
        JsonNode filled =
            fill(envelope.template().orElseThrow(), envelope, code, message, refusal.status());
        body.setAll((ObjectNode) filled);
        body.put("keybrake_code", code.wireName());
      }
      default -> body.put("code", code.wireName());
    }
    if (!body.has("message")) {
      body.put("message", message);
    }
    if (!body.has("status")) {
      body.put("status", refusal.status());
    }
    for (Map.Entry<String, Object> d : refusal.details().entrySet()) {
      Object v = d.getValue();
      body.set(d.getKey(), json.valueToTree(v instanceof String s ? SecretMask.mask(s) : v));
    }
    if (envelope.kind() == RefusalEnvelope.Kind.STRIPE) {
      ObjectNode error = body.putObject("error");
      error.put("type", stripeType(code));
      error.put("code", envelope.vendorCode(code.wireName()).orElse(code.wireName()));
      error.put("message", message);
    }
    try {
      byte[] bytes = json.writeValueAsBytes(body);
      return new RenderedResponse(
          envelope.httpStatus().orElse(refusal.status()),
          List.of(
              Map.entry("content-type", "application/json"),
              Map.entry("x-keybrake-refusal", code.wireName())),
          bytes);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render refusal", e);
    }
  }

  /** The spec's number for the refusal, else its base plus the code's position (79001, …). */
  private static long twilioCode(RefusalEnvelope envelope, RefusalCode code) {
    String listed = envelope.codes().get(code.wireName());
    if (listed != null) {
      return Long.parseLong(listed);
    }
    if (envelope.numericBase() > 0) {
      return envelope.numericBase() + code.ordinal() + 1L;
    }
    return Long.parseLong(envelope.codes().get("default"));
  }

  /** A copy of {@code template} with its placeholders filled. */
  private JsonNode fill(
      JsonNode template, RefusalEnvelope envelope, RefusalCode code, String message, int status) {
    if (template.isTextual()) {
      String t = template.asText();
      if (t.equals("${status}")) {
        return json.getNodeFactory().numberNode(status);
      }
      String vendorCode = envelope.vendorCode(code.wireName()).orElse(code.wireName());
      return json.getNodeFactory()
          .textNode(
              t.replace("${message}", message)
                  .replace("${code}", code.wireName())
                  .replace("${vendor_code}", vendorCode)
                  .replace("${status}", Integer.toString(status)));
    }
    if (template.isObject()) {
      ObjectNode out = json.createObjectNode();
      template
          .properties()
          .forEach(e -> out.set(e.getKey(), fill(e.getValue(), envelope, code, message, status)));
      return out;
    }
    if (template.isArray()) {
      ArrayNode out = json.createArrayNode();
      template.forEach(v -> out.add(fill(v, envelope, code, message, status)));
      return out;
    }
    return template.deepCopy();
  }

  private static String stripeType(RefusalCode code) {
    return switch (code) {
      case INVALID_KEY, KEY_REVOKED, KEY_EXPIRED -> "authentication_error";
      case CAP_EXHAUSTED -> "rate_limit_error";
      case LEDGER_UNAVAILABLE -> "api_error";
      default -> "invalid_request_error";
    };
  }
}
