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
        case STRIPE_INVOICE_PAY,
            STRIPE_INVOICE_FINALIZE,
            STRIPE_PAYMENT_INTENT_CONFIRM,
            STRIPE_PAYMENT_INTENT_CAPTURE,
            STRIPE_CHARGE_CAPTURE ->
            stripe(json, StripeLookups.SPECS.get(rule).settledField(), currencies);
        case STRIPE_INVOICE_ITEM -> stripeCredit(json, currencies);
        case STRIPE_SUBSCRIPTION -> subscription(json, currencies);
        case UNBOUNDED, STRIPE_SUBSCRIPTION_UPDATE, STRIPE_SUBSCRIPTION_CANCEL -> idOnly(json);
        case RESEND_EMAIL -> new ActualCost(OptionalLong.empty(), text(json, "id"));
        case RESEND_BATCH -> new ActualCost(OptionalLong.empty(), firstBatchId(json));
        case FREE -> idOnly(json);
        case GENERIC -> ActualCost.unknown();
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

  private static ActualCost idOnly(JsonNode json) {
    Optional<String> sid = text(json, "sid");
    return new ActualCost(OptionalLong.empty(), sid.isPresent() ? sid : text(json, "id"));
  }

  /** An invoice item: a negative {@code amount} is a credit and costs nothing. */
  private static ActualCost stripeCredit(JsonNode json, Currencies currencies)
      throws RequestRejected {
    JsonNode amount = json.get("amount");
    if (amount != null && amount.isIntegralNumber() && amount.asLong() < 0) {
      return new ActualCost(OptionalLong.of(0), text(json, "id"));
    }
    return stripe(json, "amount", currencies);
  }

  /**
   * A new subscription's first charge is its latest invoice's {@code amount_paid}, readable only
   * when the agent expanded {@code latest_invoice}; otherwise the estimate is kept.
   */
  private static ActualCost subscription(JsonNode json, Currencies currencies)
      throws RequestRejected {
    Optional<String> id = text(json, "id");
    JsonNode invoice = json.get("latest_invoice");
    if (invoice == null || !invoice.isObject()) {
      return new ActualCost(OptionalLong.empty(), id);
    }
    ActualCost paid = stripe(invoice, "amount_paid", currencies);
    return new ActualCost(paid.micros(), id);
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
