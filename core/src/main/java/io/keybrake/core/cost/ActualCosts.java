package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.request.JsonBody;
import io.keybrake.core.vendor.CostRule;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads the vendor's price and object id from documented response shapes. Never throws. Thread-safe
 * (stateless).
 */
final class ActualCosts {
  private ActualCosts() {}

  static ActualCost read(CostRule rule, int status, byte[] body, Currencies currencies) {
    if (status < 200 || status > 299 || body == null || body.length == 0) {
      return ActualCost.unknown();
    }
    try {
      JsonNode json = JsonBody.parse(body);
      return switch (rule) {
        case TWILIO_MESSAGE, TWILIO_CALL -> twilio(json, currencies);
        case STRIPE_AMOUNT, STRIPE_REFUND -> stripe(json, "amount", currencies);
        case STRIPE_INVOICE_PAY -> stripe(json, "amount_paid", currencies);
        case RESEND_EMAIL -> new ActualCost(OptionalLong.empty(), text(json, "id"));
        case RESEND_BATCH -> new ActualCost(OptionalLong.empty(), firstBatchId(json));
        case FREE -> {
          Optional<String> sid = text(json, "sid");
          yield new ActualCost(OptionalLong.empty(), sid.isPresent() ? sid : text(json, "id"));
        }
      };
    } catch (RequestRejected | RuntimeException e) {
      return ActualCost.unknown();
    }
  }

  /** {@code "price": "-0.00790", "price_unit": "USD"}; null while Twilio has not priced it. */
  private static ActualCost twilio(JsonNode json, Currencies currencies) throws RequestRejected {
    Optional<String> sid = text(json, "sid");
    JsonNode price = json.get("price");
    if (price == null || price.isNull() || !(price.isTextual() || price.isNumber())) {
      return new ActualCost(OptionalLong.empty(), sid);
    }
    BigDecimal amount = new BigDecimal(price.asText().trim()).abs();
    String unit = text(json, "price_unit").orElse("USD");
    return new ActualCost(OptionalLong.of(currencies.majorToUsdMicros(amount, unit)), sid);
  }

  /** {@code "amount": 1000, "currency": "jpy"} in minor units. */
  private static ActualCost stripe(JsonNode json, String field, Currencies currencies)
      throws RequestRejected {
    Optional<String> id = text(json, "id");
    JsonNode amount = json.get(field);
    Optional<String> currency = text(json, "currency");
    if (amount == null || !amount.canConvertToExactIntegral() || currency.isEmpty()) {
      return new ActualCost(OptionalLong.empty(), id);
    }
    long minor = amount.bigIntegerValue().longValueExact();
    return new ActualCost(OptionalLong.of(currencies.toUsdMicros(minor, currency.get())), id);
  }

  /** {@code {"data": [{"id": "…"}, …]}}. */
  private static Optional<String> firstBatchId(JsonNode json) {
    JsonNode data = json.get("data");
    if (data == null || !data.isArray() || data.isEmpty()) {
      return Optional.empty();
    }
    return text(data.get(0), "id");
  }

  private static Optional<String> text(JsonNode json, String field) {
    JsonNode node = json == null ? null : json.get(field);
    if (node == null || !node.isTextual() || node.asText().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(node.asText());
  }
}
