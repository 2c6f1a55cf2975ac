package io.keybrake.operator.keys;

import io.keybrake.core.key.KeyRecord;

/**
 * Told after the registry gained or revoked a key issued from Kubernetes, the way the admin API's
 * hooks are (drop caches, republish xDS routes). Implementations are thread-safe; the defaults do
 * nothing.
 */
public interface KeyEvents {
  KeyEvents NONE = new KeyEvents() {};

  default void created(KeyRecord key) {}

  default void revoked(KeyRecord key) {}
}
