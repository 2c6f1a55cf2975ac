package io.keybrake.operator.keys;

import io.keybrake.core.key.KeyRecord;

/**
 * Told after the registry gained, changed or revoked a key issued from Kubernetes, the way the
 * admin API's hooks are (drop caches, republish xDS routes). Implementations are thread-safe; the
 * defaults do nothing.
 */
public interface KeyEvents {
  KeyEvents NONE = new KeyEvents() {};

  default void created(KeyRecord key) {}

  default void revoked(KeyRecord key) {}

  /** The key's policy changed in place (same id and secret): drop what caches hold of it. */
  default void policyChanged(KeyRecord key) {}
}
