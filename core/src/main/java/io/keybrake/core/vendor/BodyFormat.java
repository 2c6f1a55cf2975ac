package io.keybrake.core.vendor;

import java.util.List;

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
  /**
   * Either {@code application/x-www-form-urlencoded} or a JSON object ({@code application/json}),
   * chosen per request by its {@code Content-Type} and forwarded as sent (Vonage's {@code POST
   * /sms/json}). Rules read flat fields only, the same from either encoding: a JSON string or whole
   * number is read as its text; any other JSON value in a field a rule reads is refused.
   */
  FORM_OR_JSON,
  /** No body is expected; a non-empty body is refused. */
  NONE;

  /** {@code application/x-www-form-urlencoded}. */
  public static final String FORM_TYPE = "application/x-www-form-urlencoded";

  /** {@code application/json}. */
  public static final String JSON_TYPE = "application/json";

  /** The media types a request body may declare for this format (none for {@link #NONE}). */
  public List<String> mediaTypes() {
    return switch (this) {
      case FORM -> List.of(FORM_TYPE);
      case JSON -> List.of(JSON_TYPE);
      case STRIPE_FORM, FORM_OR_JSON -> List.of(FORM_TYPE, JSON_TYPE);
      case NONE -> List.of();
    };
  }
}
