package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.request.JsonBody;
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
    Objects.requireNonNull(policy);
    byte[] bytes = body == null ? new byte[0] : body;
    BodyFormat format = match.endpoint().body();
    CostRule rule = match.endpoint().cost();
    switch (format) {
      case NONE -> {
        if (bytes.length > 0) {
          throw Fields.unreadable("endpoint " + match.endpoint().name() + " takes no request body");
        }
        return free("");
      }
      case FORM -> {
        FormBody form = FormBody.parse(bytes);
        io.keybrake.core.request.FieldAliases.refuse(form, CheckedFields.of(rule));
        String canonical = form.canonical();
        return switch (rule) {
          case TWILIO_MESSAGE -> TwilioCosts.message(form, canonical, prices);
          case TWILIO_CALL -> TwilioCosts.call(form, canonical, policy, prices);
          case STRIPE_AMOUNT -> StripeCosts.amount(form, canonical, currencies);
          case STRIPE_REFUND -> StripeCosts.refund(form, canonical, currencies);
          case STRIPE_INVOICE_PAY ->
              new CallEstimate(
                  0,
                  List.of(),
                  canonical,
                  Optional.empty(),
                  "invoice pay: priced from the response");
          case FREE -> free(canonical);
          default -> throw misconfigured(match, format);
        };
      }
      case JSON -> {
        if (bytes.length == 0 && rule == CostRule.FREE) {
          return free("");
        }
        JsonNode json = JsonBody.parse(bytes);
        String canonical = JsonBody.canonical(json);
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
