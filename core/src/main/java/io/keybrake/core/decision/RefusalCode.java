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
  LEDGER_UNAVAILABLE(503);

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
