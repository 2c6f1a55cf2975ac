package io.keybrake.core.guard;

import io.keybrake.core.key.KeyRecord;

/**
 * Revokes a key a guard caught looping, through the same path as an admin revocation (registry,
 * caches, every instance, xDS routes), with an audit row naming the reason. Thread-safe.
 */
@FunctionalInterface
public interface KeySuspension {
  /** Suspension not wired: the key stays usable (the call is still refused). */
  KeySuspension NONE = (key, reason) -> false;

  /**
   * Revokes {@code key} because of {@code reason} (e.g. {@code loop_detected}).
   *
   * @return true when this call revoked it (false when it already was, or nothing is wired)
   */
  boolean suspend(KeyRecord key, String reason);
}
