package io.keybrake.operator.policy;

/**
 * What {@link PolicyResolver#resolve} found: a usable policy, or why not (a value, not a fault).
 */
public sealed interface Resolution {
  /** The policy resolved. */
  record Resolved(ResolvedPolicy policy) implements Resolution {}

  /**
   * The policy cannot issue keys.
   *
   * @param reason a condition reason in CamelCase, e.g. {@code PolicyNotFound}
   * @param message for people; never a secret
   */
  record Refused(String reason, String message) implements Resolution {}
}
