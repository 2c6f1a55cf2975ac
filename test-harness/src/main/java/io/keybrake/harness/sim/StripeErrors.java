package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** Stripe's error envelope {@code {"error":{...}}} for the simulator. Stateless, thread-safe. */
final class StripeErrors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StripeErrors() {}

  static SimResponse error(int status, String type, String code, String message, String param) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode error = root.putObject("error");
    if (code != null) {
      error.put("code", code);
      error.put("doc_url", "https://stripe.com/docs/error-codes/" + code.replace('_', '-'));
    }
    error.put("message", message);
    if (param != null) {
      error.put("param", param);
    }
    error.put("type", type);
    return SimResponse.json(status, root.toString());
  }

  static SimResponse parameterMissing(String param) {
    return error(
        400,
        "invalid_request_error",
        "parameter_missing",
        "Missing required param: " + param + ".",
        param);
  }

  /** Empty when {@code amount} is a positive integer; else Stripe's 400. */
  static Optional<SimResponse> requireAmount(FormBody form) {
    if (!form.has("amount")) {
      return Optional.of(parameterMissing("amount"));
    }
    String amount = form.first("amount").orElseThrow();
    try {
      if (Long.parseLong(amount) > 0) {
        return Optional.empty();
      }
      return Optional.of(
          error(
              400,
              "invalid_request_error",
              "amount_too_small",
              "Amount must be at least 1 in minor units",
              "amount"));
    } catch (NumberFormatException e) {
      return Optional.of(
          error(
              400,
              "invalid_request_error",
              "parameter_invalid_integer",
              "Invalid integer: " + amount,
              "amount"));
    }
  }

  static SimResponse missing(int status, String kind, String id, String param) {
    return error(
        status,
        "invalid_request_error",
        "resource_missing",
        "No such " + kind + ": '" + id + "'",
        param);
  }

  static SimResponse unexpectedState(String id, String status, String action) {
    return error(
        400,
        "invalid_request_error",
        "payment_intent_unexpected_state",
        "This PaymentIntent's "
            + action
            + " could not be performed because it has a status of "
            + status
            + ".",
        null);
  }

  static SimResponse unrecognized(String method, String path) {
    return error(
        404,
        "invalid_request_error",
        null,
        "Unrecognized request URL ("
            + method
            + ": "
            + path
            + "). Please see https://stripe.com/docs or we can help at"
            + " https://support.stripe.com/.",
        null);
  }

  static SimResponse forced(int status) {
    return switch (status) {
      case 400 -> error(400, "invalid_request_error", "parameter_invalid", "Invalid request", null);
      case 401 -> error(401, "invalid_request_error", null, "Invalid API Key provided", null);
      case 402 -> {
        SimResponse declined =
            error(402, "card_error", "card_declined", "Your card was declined.", null);
        ObjectNode root;
        try {
          root = (ObjectNode) JSON.readTree(declined.json());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
        ((ObjectNode) root.get("error")).put("decline_code", "generic_decline");
        yield SimResponse.json(402, root.toString());
      }
      case 429 ->
          error(
              429,
              "rate_limit_error",
              "rate_limit",
              "Too many requests hit the API too quickly.",
              null);
      default ->
          error(
              status,
              "api_error",
              null,
              "An unknown error occurred. Please try again or contact support.",
              null);
    };
  }

  /** Masks a presented key as Stripe does: the prefix and the last four characters stay. */
  static String mask(String key) {
    int prefix = 0;
    for (String p : new String[] {"sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_"}) {
      if (key.startsWith(p)) {
        prefix = p.length();
      }
    }
    if (key.length() < prefix + 8) {
      return key.substring(0, prefix) + "*".repeat(Math.max(4, key.length() - prefix));
    }
    return key.substring(0, prefix)
        + "*".repeat(key.length() - prefix - 4)
        + key.substring(key.length() - 4);
  }
}
