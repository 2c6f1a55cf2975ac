package io.keybrake.extproc.gateway;

/**
 * The processor did not answer as the protocol requires. Like Envoy with {@code failure_mode_allow:
 * false}, the gateway then fails closed: 504 on a timeout, 500 otherwise. Carries no stack trace:
 * its status and message say all there is, and one is made for every stream that ends (measured:
 * filling in its stack was 1 % of the gateway's CPU at one connection).
 */
final class ExtProcFailure extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;

  ExtProcFailure(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
