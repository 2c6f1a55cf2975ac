package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.vendor.CostRule;
import io.keybrake.core.vendor.EndpointMatch;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Stripe calls whose amount is not in the request but in an object they act on: the object is read
 * first with the real credential and its amount reserved. Thread-safe (stateless).
 *
 * <table>
 *   <caption>what is looked up</caption>
 *   <tr><th>rule</th><th>object</th><th>bound</th><th>settled from the response</th></tr>
 *   <tr><td>{@code STRIPE_INVOICE_PAY}</td><td>invoice</td><td>{@code amount_due}</td>
 *       <td>{@code amount_paid}</td></tr>
 *   <tr><td>{@code STRIPE_INVOICE_FINALIZE}</td><td>invoice</td><td>{@code amount_due}</td>
 *       <td>{@code amount_due}</td></tr>
 *   <tr><td>{@code STRIPE_PAYMENT_INTENT_CONFIRM}</td><td>PaymentIntent</td><td>{@code amount}</td>
 *       <td>{@code amount}</td></tr>
 *   <tr><td>{@code STRIPE_PAYMENT_INTENT_CAPTURE}</td><td>PaymentIntent</td>
 *       <td>{@code amount_capturable}</td><td>{@code amount_received}</td></tr>
 *   <tr><td>{@code STRIPE_CHARGE_CAPTURE}</td><td>charge</td><td>{@code amount}</td>
 *       <td>{@code amount_captured}</td></tr>
 * </table>
 */
final class StripeLookups {
  /** A Stripe object id: what may go into a lookup path. */
  static final Pattern OBJECT_ID = Pattern.compile("[A-Za-z0-9_]{1,255}");

  /** What one rule reads: where the object lives, its bounding field, the response's field. */
  record Spec(String collection, String objectName, String boundField, String settledField) {}

  static final Map<CostRule, Spec> SPECS =
      Map.of(
          CostRule.STRIPE_INVOICE_PAY,
          new Spec("/v1/invoices/", "invoice", "amount_due", "amount_paid"),
          CostRule.STRIPE_INVOICE_FINALIZE,
          new Spec("/v1/invoices/", "invoice", "amount_due", "amount_due"),
          CostRule.STRIPE_PAYMENT_INTENT_CONFIRM,
          new Spec("/v1/payment_intents/", "payment_intent", "amount", "amount"),
          CostRule.STRIPE_PAYMENT_INTENT_CAPTURE,
          new Spec(
              "/v1/payment_intents/", "payment_intent", "amount_capturable", "amount_received"),
          CostRule.STRIPE_CHARGE_CAPTURE,
          new Spec("/v1/charges/", "charge", "amount", "amount_captured"));

  private StripeLookups() {}

  /** The estimate for a call on the object named by the path's {@code {id}}. */
  static CallEstimate estimate(
      CostRule rule,
      EndpointMatch match,
      String canonical,
      VendorObjects objects,
      Currencies currencies)
      throws RequestRejected {
    Spec spec = SPECS.get(rule);
    String id = objectId(match.pathVariables().get("id"));
    JsonNode object = objects.get(spec.collection() + id);
    Amount amount = Amount.read(object, spec.boundField(), "the " + spec.objectName());
    long micros = currencies.toUsdMicros(amount.minor(), amount.currency());
    String detail =
        spec.objectName()
            + " "
            + spec.boundField()
            + " "
            + StripeCosts.describe(amount.minor(), amount.currency(), micros, currencies)
            + " (looked up)";
    return new CallEstimate(micros, List.of(), canonical, Optional.empty(), detail);
  }

  /**
   * A refund: {@code amount} x {@code currency} when both are given (no lookup); otherwise the
   * refunded charge ({@code charge}: its {@code amount - amount_refunded}) or PaymentIntent ({@code
   * payment_intent}: its {@code amount_received}) is looked up for the currency and, without an
   * {@code amount}, for the amount. A given {@code amount} is the bound either way.
   */
  static CallEstimate refund(
      FormBody form, String canonical, VendorObjects objects, Currencies currencies)
      throws RequestRejected {
    Optional<String> amount = Fields.single(form, "amount").filter(a -> !a.isEmpty());
    Optional<String> currency = Fields.single(form, "currency").filter(c -> !c.isEmpty());
    Optional<Long> given =
        amount.isPresent() ? Optional.of(Fields.whole(amount.get(), "amount")) : Optional.empty();
    if (given.isPresent() && currency.isPresent()) {
      return StripeCosts.priced(given.get(), currency.get(), canonical, currencies);
    }
    Optional<String> charge = Fields.single(form, "charge").filter(c -> !c.isEmpty());
    Optional<String> intent = Fields.single(form, "payment_intent").filter(c -> !c.isEmpty());
    if (charge.isPresent() == intent.isPresent()) {
      throw Fields.unreadable(
          "a refund names exactly one charge or payment_intent (or gives amount and currency)");
    }
    JsonNode object;
    long refundable;
    String what;
    if (charge.isPresent()) {
      what = "charge";
      object = objects.get("/v1/charges/" + objectId(charge.get()));
      long total = Amount.read(object, "amount", "the charge").minor();
      JsonNode refunded = object.path("amount_refunded");
      refundable = Math.max(0, total - (refunded.canConvertToLong() ? refunded.asLong() : 0));
    } else {
      what = "payment_intent";
      object = objects.get("/v1/payment_intents/" + objectId(intent.get()));
      refundable = Amount.read(object, "amount_received", "the payment_intent").minor();
    }
    String objectCurrency = Amount.read(object, "amount", "the " + what).currency();
    long bound = given.orElse(refundable);
    long micros = currencies.toUsdMicros(bound, objectCurrency);
    String detail =
        "refund of "
            + StripeCosts.describe(bound, objectCurrency, micros, currencies)
            + (given.isPresent() ? "" : " (the " + what + "'s refundable amount, looked up)");
    return new CallEstimate(micros, List.of(), canonical, Optional.empty(), detail);
  }

  /** A path variable that is a plain Stripe id, else {@code unreadable_request}. */
  static String objectId(String id) throws RequestRejected {
    if (id == null || !OBJECT_ID.matcher(id).matches()) {
      throw new RequestRejected(
          RefusalCode.UNREADABLE_REQUEST, "the object id in the path is not a Stripe id");
    }
    return id;
  }

  /** An amount in minor units with its currency, read strictly from a looked-up object. */
  record Amount(long minor, String currency) {
    static Amount read(JsonNode object, String field, String what) throws RequestRejected {
      JsonNode amount = object.get(field);
      JsonNode currency = object.get("currency");
      if (amount == null
          || !amount.isIntegralNumber()
          || !amount.canConvertToLong()
          || amount.longValue() < 0
          || currency == null
          || !currency.isTextual()
          || currency.textValue().isEmpty()) {
        throw new RequestRejected(
            RefusalCode.COST_UNBOUNDED,
            what + " has no readable '" + field + "' and currency; the call cannot be bounded");
      }
      return new Amount(amount.longValue(), currency.textValue());
    }
  }
}
