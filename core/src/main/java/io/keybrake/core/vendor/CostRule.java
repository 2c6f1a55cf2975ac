package io.keybrake.core.vendor;

/**
 * The closed set of cost functions an endpoint can name; implemented by {@code
 * io.keybrake.core.cost.CostEstimator}.
 */
public enum CostRule {
  TWILIO_MESSAGE,
  TWILIO_CALL,
  STRIPE_AMOUNT,
  STRIPE_REFUND,
  STRIPE_INVOICE_PAY,
  RESEND_EMAIL,
  RESEND_BATCH,
  FREE
}
