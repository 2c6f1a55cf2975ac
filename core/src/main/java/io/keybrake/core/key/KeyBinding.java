package io.keybrake.core.key;

import java.util.Map;
import java.util.Optional;

/**
 * A key may be bound to one node (an agent pod) by the label {@value #LABEL}: its xDS route then
 * goes to the sidecar whose node metadata names that value, not to every sidecar. A label, not a
 * new field, so that creating a bound key needs no change to the API's shape: {@code "labels":
 * {"keybrake.io/node": "agent-7f9c"}}.
 */
public final class KeyBinding {
  /** The label naming the node a key is bound to. */
  public static final String LABEL = "keybrake.io/node";

  private KeyBinding() {}

  /** The node named by {@code labels}, if any (blank counts as none). */
  public static Optional<String> of(Map<String, String> labels) {
    String v = labels.get(LABEL);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }
}
