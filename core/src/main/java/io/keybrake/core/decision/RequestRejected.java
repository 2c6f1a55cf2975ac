package io.keybrake.core.decision;

/**
 * Thrown by edge parsers (path, form, JSON, phone numbers) when input cannot be read with
 * certainty. The pipeline turns it into a {@link Refusal} at once; it never crosses a module
 * boundary.
 */
public final class RequestRejected extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Refusal refusal;

  public RequestRejected(RefusalCode code, String message) {
    super(message, null, false, false);
    this.refusal = Refusal.of(code, message);
  }

  public Refusal refusal() {
    return refusal;
  }
}
