package io.keybrake.extproc.gateway;

/**
 * The processor did not answer as the protocol requires. Like Envoy with {@code failure_mode_allow:
 * false}, the gateway then fails closed: 504 on a timeout, 500 otherwise.
 */
final class ExtProcFailure extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;

  ExtProcFailure(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }
}
