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
  /** Looks the invoice up: {@code amount_due}. Finalizing can start an automatic charge. */
  STRIPE_INVOICE_FINALIZE,
  /** Looks the PaymentIntent up: {@code amount}. */
  STRIPE_PAYMENT_INTENT_CONFIRM,
  /** Looks the PaymentIntent up: {@code amount_capturable}. */
  STRIPE_PAYMENT_INTENT_CAPTURE,
  /** Looks the charge up: {@code amount}. */
  STRIPE_CHARGE_CAPTURE,
  /** Price x quantity of every item (prices looked up), charged at once. */
  STRIPE_SUBSCRIPTION,
  /** Free when it changes nothing billed; otherwise refused as unbounded. */
  STRIPE_SUBSCRIPTION_UPDATE,
  /** Free, unless {@code invoice_now} asks for a final invoice now: then refused as unbounded. */
  STRIPE_SUBSCRIPTION_CANCEL,
  /** {@code amount}, or price x quantity (price looked up). */
  STRIPE_INVOICE_ITEM,
  RESEND_EMAIL,
  RESEND_BATCH,
  FREE,
  /** A rule written in the spec ({@link GenericCost}); no code per vendor. */
  GENERIC,
  /** Moves money by an amount Keybrake cannot bound before the call: always refused. */
  UNBOUNDED;

  /** Whether estimating the cost may read a vendor object (a lookup with the real credential). */
  public boolean looksUp() {
    return switch (this) {
      case STRIPE_REFUND,
          STRIPE_INVOICE_PAY,
          STRIPE_INVOICE_FINALIZE,
          STRIPE_PAYMENT_INTENT_CONFIRM,
          STRIPE_PAYMENT_INTENT_CAPTURE,
          STRIPE_CHARGE_CAPTURE,
          STRIPE_SUBSCRIPTION,
          STRIPE_INVOICE_ITEM ->
          true;
      default -> false;
    };
  }

  /**
   * The body format the rule reads, or empty when it reads no body field ({@code FREE}, {@code
   * UNBOUNDED}) or reads the format the endpoint declares ({@code GENERIC}, checked per field).
   */
  public java.util.Optional<BodyFormat> reads() {
    return switch (this) {
      case TWILIO_MESSAGE, TWILIO_CALL -> java.util.Optional.of(BodyFormat.FORM);
      case RESEND_EMAIL, RESEND_BATCH -> java.util.Optional.of(BodyFormat.JSON);
      case FREE, UNBOUNDED, GENERIC -> java.util.Optional.empty();
      default -> java.util.Optional.of(BodyFormat.STRIPE_FORM);
    };
  }

  /** What the destinations of calls under this rule are (a GENERIC rule says it itself). */
  public GenericCost.DestinationKind destinations() {
    return switch (this) {
      case TWILIO_MESSAGE, TWILIO_CALL -> GenericCost.DestinationKind.PHONE;
      case RESEND_EMAIL, RESEND_BATCH -> GenericCost.DestinationKind.EMAIL;
      default -> GenericCost.DestinationKind.NONE;
    };
  }

  /** Whether calls under this rule can move money (and so never reserve $0). */
  public boolean movesMoney() {
    return this != FREE && this != STRIPE_SUBSCRIPTION_UPDATE && this != STRIPE_SUBSCRIPTION_CANCEL;
  }
}
