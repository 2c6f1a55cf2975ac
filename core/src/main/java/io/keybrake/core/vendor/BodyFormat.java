package io.keybrake.core.vendor;

/** How an endpoint's request body is read. */
public enum BodyFormat {
  /** {@code application/x-www-form-urlencoded}. */
  FORM,
  /** {@code application/json}. */
  JSON,
  /**
   * Stripe's {@code application/x-www-form-urlencoded} with bracket nesting; a JSON object body is
   * accepted too and forwarded in that encoding ({@code io.keybrake.core.request.StripeFormJson}).
   */
  STRIPE_FORM,
  /** No body is expected; a non-empty body is refused. */
  NONE
}
