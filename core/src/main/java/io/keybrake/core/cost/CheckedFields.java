package io.keybrake.core.cost;

import io.keybrake.core.vendor.CostRule;
import java.util.List;

/**
 * The form fields each cost rule reads to price a call or find its destinations: the names whose
 * aliases ({@link io.keybrake.core.request.FieldAliases}) are refused. Thread-safe (stateless).
 */
final class CheckedFields {
  private CheckedFields() {}

  static List<String> of(CostRule rule) {
    return switch (rule) {
      case TWILIO_MESSAGE -> List.of("To", "Body", "MediaUrl");
      case TWILIO_CALL ->
          List.of("To", "TimeLimit", "Twiml", "Url", "FallbackUrl", "ApplicationSid");
      case STRIPE_AMOUNT, STRIPE_REFUND -> List.of("amount", "currency");
      default -> List.of();
    };
  }
}
