package io.keybrake.core.decision;

/**
 * Every reason Keybrake refuses a call, with its HTTP status. The wire name is lower snake case.
 */
public enum RefusalCode {
  INVALID_KEY(401),
  KEY_REVOKED(401),
  KEY_EXPIRED(401),
  ENDPOINT_NOT_ALLOWED(403),
  DESTINATION_NOT_ALLOWED(403),
  UNREADABLE_REQUEST(400),
  INVALID_DESTINATION(400),
  REQUEST_TOO_LARGE(413),
  DUPLICATE_IN_FLIGHT(409),
  CAP_EXHAUSTED(429),
  LEDGER_UNAVAILABLE(503),
  /** A money-moving call whose cost has no upper bound Keybrake can compute before it. */
  COST_UNBOUNDED(403),
  /** The vendor object a bound depends on could not be read with the real credential. */
  COST_LOOKUP_FAILED(502),
  /** The call's bound is above the policy's {@code max_call_usd}. */
  MAX_CALL_EXCEEDED(403),
  /** More calls to one destination this hour than {@code max_calls_per_destination}. */
  DESTINATION_RATE_EXCEEDED(429),
  /**
   * The same call repeated beyond the dedup window more than {@code max_identical_calls_per_hour}.
   */
  IDENTICAL_CALLS_EXCEEDED(429),
  /** The estimated spend this minute would pass {@code max_usd_per_minute}. */
  SPEND_RATE_EXCEEDED(429),
  /** Outside the send window ({@code allowed_hours}) in the recipient's or the named zone. */
  OUTSIDE_ALLOWED_HOURS(403);

  private final int status;

  RefusalCode(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }

  /** The code as it appears in bodies and audit rows, e.g. {@code cap_exhausted}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
