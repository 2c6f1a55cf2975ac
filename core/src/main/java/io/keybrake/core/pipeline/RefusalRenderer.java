package io.keybrake.core.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.secret.SecretMask;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link Refusal} as the body the agent's SDK understands. Every body carries {@code
 * code}, {@code message}, {@code status} and the refusal's details. Stripe keys also get Stripe's
 * {@code error} envelope; Twilio keys get a numeric {@code code} (twilio-java only parses an
 * integer there) with Keybrake's code in {@code keybrake_code}. Thread-safe.
 */
public final class RefusalRenderer {
  /** Twilio-style numeric codes for refusals; a range Twilio does not use. */
  private static final int TWILIO_CODE_BASE = 79000;

  private final ObjectMapper json = new ObjectMapper();

  public RenderedResponse render(Refusal refusal, String vendor) {
    ObjectNode body = json.createObjectNode();
    RefusalCode code = refusal.code();
    if ("twilio".equals(vendor)) {
      body.put("code", TWILIO_CODE_BASE + code.ordinal() + 1);
      body.put("keybrake_code", code.wireName());
    } else {
      body.put("code", code.wireName());
    }
    // the message may quote the request (a path, a header): never let a secret in it out
    String message = SecretMask.mask(refusal.message());
    body.put("message", message);
    body.put("status", refusal.status());
    for (Map.Entry<String, Object> d : refusal.details().entrySet()) {
      Object v = d.getValue();
      body.set(d.getKey(), json.valueToTree(v instanceof String s ? SecretMask.mask(s) : v));
    }
    if ("stripe".equals(vendor)) {
      ObjectNode error = body.putObject("error");
      error.put("type", stripeType(code));
      error.put("code", code.wireName());
      error.put("message", message);
    }
    try {
      byte[] bytes = json.writeValueAsBytes(body);
      return new RenderedResponse(
          refusal.status(),
          List.of(
              Map.entry("content-type", "application/json"),
              Map.entry("x-keybrake-refusal", code.wireName())),
          bytes);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render refusal", e);
    }
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
