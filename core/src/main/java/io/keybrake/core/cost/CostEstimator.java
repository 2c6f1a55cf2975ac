package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.request.JsonBody;
import io.keybrake.core.request.MediaType;
import io.keybrake.core.vendor.BodyFormat;
import io.keybrake.core.vendor.CostRule;
import io.keybrake.core.vendor.EndpointMatch;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Applies an endpoint's {@link CostRule}: reads the body per the endpoint's {@link BodyFormat},
 * finds the destinations, estimates the cost before the call ({@link #estimate}) and reads the
 * vendor's price after it ({@link #actual}). Immutable and thread-safe.
 */
public final class CostEstimator {
  private final PriceTable prices;
  private final Currencies currencies;

  public CostEstimator(PriceTable prices, Currencies currencies) {
    this.prices = Objects.requireNonNull(prices);
    this.currencies = Objects.requireNonNull(currencies);
  }

  /**
   * The estimate for a matched call.
   *
   * @param body the request body as received (empty array for none)
   * @throws RequestRejected {@code unreadable_request} when the body cannot be read with certainty
   *     or lacks what the rule needs; {@code invalid_destination} for a destination that is not an
   *     E.164 number / email address
   */
  public CallEstimate estimate(EndpointMatch match, byte[] body, Policy policy)
      throws RequestRejected {
    return estimate(match, body, policy, VendorObjects.NONE);
  }

  /**
   * The estimate for a matched call, reading the vendor objects its rule needs through {@code
   * objects} (e.g. the invoice an {@code invoices.pay} call pays). A rule that moves money never
   * estimates less than {@link #MIN_MONEY_MOVING_MICROS}, so a spent cap refuses it.
   *
   * @param body the request body as received, or the form a JSON body became (empty for none)
   * @throws RequestRejected {@code unreadable_request} as above; {@code cost_unbounded} for a call
   *     whose cost has no upper bound; {@code cost_lookup_failed} when a vendor object could not be
   *     read
   */
  public CallEstimate estimate(
      EndpointMatch match, byte[] body, Policy policy, VendorObjects objects)
      throws RequestRejected {
    return estimate(match, body, policy, objects, List.of());
  }

  /**
   * As {@link #estimate(EndpointMatch, byte[], Policy, VendorObjects)}, for a request whose {@code
   * Content-Type} values are {@code contentTypes}: a {@link BodyFormat#FORM_OR_JSON} endpoint reads
   * the body in the encoding they declare (a body without one it can read is refused).
   */
  public CallEstimate estimate(
      EndpointMatch match,
      byte[] body,
      Policy policy,
      VendorObjects objects,
      List<String> contentTypes)
      throws RequestRejected {
    CallEstimate e;
    try {
      e = estimateUnfloored(match, body, policy, objects, contentTypes);
    } catch (ArithmeticException overflow) {
      throw Fields.unreadable("the amounts in this call are too large to price");
    }
    if (match.endpoint().cost().movesMoney() && e.micros() < MIN_MONEY_MOVING_MICROS) {
      return new CallEstimate(
          MIN_MONEY_MOVING_MICROS,
          e.destinations(),
          e.canonicalBody(),
          e.rewrittenBody(),
          e.detail() + "; a call that can move money reserves at least $0.000001");
    }
    return e;
  }

  /** The least a money-moving call reserves: one micro-dollar, so a spent cap refuses it. */
  public static final long MIN_MONEY_MOVING_MICROS = 1;

  private CallEstimate estimateUnfloored(
      EndpointMatch match,
      byte[] body,
      Policy policy,
      VendorObjects objects,
      List<String> contentTypes)
      throws RequestRejected {
    Objects.requireNonNull(policy);
    byte[] bytes = body == null ? new byte[0] : body;
    BodyFormat format = match.endpoint().body();
    CostRule rule = match.endpoint().cost();
    if (rule == CostRule.UNBOUNDED) {
      throw new RequestRejected(
          RefusalCode.COST_UNBOUNDED,
          "endpoint "
              + match.endpoint().name()
              + " can move an amount Keybrake cannot bound before the call; it is refused"
              + " (see docs/pricing.md)");
    }
    switch (format) {
      case NONE -> {
        if (bytes.length > 0) {
          throw Fields.unreadable("endpoint " + match.endpoint().name() + " takes no request body");
        }
        return free("");
      }
      case FORM, STRIPE_FORM -> {
        FormBody form = FormBody.parse(bytes);
        if (rule == CostRule.GENERIC) {
          return GenericCosts.form(
              match.endpoint().generic().orElseThrow(), form, form.canonical(), currencies);
        }
        io.keybrake.core.request.FieldAliases.refuse(form, CheckedFields.of(rule));
        String canonical = form.canonical();
        return switch (rule) {
          case TWILIO_MESSAGE -> TwilioCosts.message(form, canonical, prices);
          case TWILIO_CALL -> TwilioCosts.call(form, canonical, policy, prices);
          case STRIPE_AMOUNT -> StripeCosts.amount(form, canonical, currencies);
          case STRIPE_REFUND -> StripeLookups.refund(form, canonical, objects, currencies);
          case STRIPE_INVOICE_PAY,
              STRIPE_INVOICE_FINALIZE,
              STRIPE_PAYMENT_INTENT_CONFIRM,
              STRIPE_PAYMENT_INTENT_CAPTURE,
              STRIPE_CHARGE_CAPTURE ->
              StripeLookups.estimate(rule, match, canonical, objects, currencies);
          case STRIPE_SUBSCRIPTION ->
              StripeBillingCosts.subscription(form, canonical, objects, currencies);
          case STRIPE_SUBSCRIPTION_UPDATE -> StripeBillingCosts.subscriptionUpdate(form, canonical);
          case STRIPE_SUBSCRIPTION_CANCEL -> StripeBillingCosts.subscriptionCancel(form, canonical);
          case STRIPE_INVOICE_ITEM ->
              StripeBillingCosts.invoiceItem(form, canonical, objects, currencies);
          case FREE -> free(canonical);
          default -> throw misconfigured(match, format);
        };
      }
      case FORM_OR_JSON -> {
        if (rule != CostRule.GENERIC && rule != CostRule.FREE) {
          throw misconfigured(match, format);
        }
        if (bytes.length == 0 && rule == CostRule.FREE) {
          return free("");
        }
        // the encoding the request declares; a request without a body declares none: an empty form
        boolean sentJson = MediaType.problem(contentTypes, BodyFormat.JSON_TYPE).isEmpty();
        boolean sentForm = MediaType.problem(contentTypes, BodyFormat.FORM_TYPE).isEmpty();
        if (sentForm || (bytes.length == 0 && !sentJson)) {
          FormBody fields = FormBody.parse(bytes);
          return rule == CostRule.FREE
              ? free(fields.canonical())
              : GenericCosts.form(
                  match.endpoint().generic().orElseThrow(), fields, fields.canonical(), currencies);
        }
        if (!sentJson) {
          throw Fields.unreadable(
              MediaType.problem(contentTypes, format.mediaTypes()).orElseThrow());
        }
        JsonNode json = JsonBody.parse(bytes);
        if (!json.isObject()) {
          throw Fields.unreadable(
              "the JSON body of "
                  + match.endpoint().name()
                  + " must be an object of fields, not "
                  + json.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        String canonical = JsonBody.canonical(json);
        return rule == CostRule.FREE
            ? free(canonical)
            : GenericCosts.flatJson(
                match.endpoint().generic().orElseThrow(), json, canonical, currencies);
      }
      case JSON -> {
        if (bytes.length == 0 && rule == CostRule.FREE) {
          return free("");
        }
        JsonNode json = JsonBody.parse(bytes);
        String canonical = JsonBody.canonical(json);
        if (rule == CostRule.GENERIC) {
          return GenericCosts.json(
              match.endpoint().generic().orElseThrow(), json, canonical, currencies);
        }
        return switch (rule) {
          case RESEND_EMAIL -> ResendCosts.email(json, canonical, prices);
          case RESEND_BATCH -> ResendCosts.batch(json, canonical, prices);
          case FREE -> free(canonical);
          default -> throw misconfigured(match, format);
        };
      }
      default -> throw misconfigured(match, format);
    }
  }

  /**
   * The cost the vendor reports in its response. Never throws: a response it cannot read gives
   * {@link ActualCost#unknown()}, and the caller keeps the estimate.
   */
  public ActualCost actual(EndpointMatch match, int status, byte[] responseBody) {
    return ActualCosts.read(match.endpoint().cost(), status, responseBody, currencies);
  }

  private static CallEstimate free(String canonical) {
    return new CallEstimate(0, List.of(), canonical, Optional.empty(), "free");
  }

  private static IllegalStateException misconfigured(EndpointMatch match, BodyFormat format) {
    return new IllegalStateException(
        "endpoint "
            + match.endpoint().name()
            + ": cost rule "
            + match.endpoint().cost()
            + " cannot read a "
            + format
            + " body");
  }
}
