package io.keybrake.operator.crd;

/** The shape of a USD amount in a custom resource: a decimal string with at most 6 decimals. */
final class Money {
  /** Up to a billion dollars, at most 6 decimal places, no sign, no exponent. */
  static final String USD_PATTERN = "^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,6})?$";

  /** Ten digits, a point and six decimals. */
  static final long MAX_CHARS = 17;

  private Money() {}
}
