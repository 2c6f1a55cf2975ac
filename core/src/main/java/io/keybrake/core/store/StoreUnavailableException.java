package io.keybrake.core.store;

/**
 * A fault: a store (key registry, ledger, audit log) could not answer. Mapped to 503 at the edge.
 */
public class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreUnavailableException(String message) {
    super(message);
  }
}
