package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.keybrake.operator.crd.KeybrakeStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Sets status conditions the Kubernetes way: one per type, {@code lastTransitionTime} changes only
 * when the status does, so a reconcile that finds nothing new writes an identical status.
 */
final class Conditions {
  private Conditions() {}

  static void set(
      KeybrakeStatus status,
      String type,
      boolean ok,
      String reason,
      String message,
      long generation,
      Instant now) {
    String value = ok ? "True" : "False";
    List<Condition> out = new ArrayList<>();
    String since = now.toString();
    for (Condition c : status.getConditions()) {
      if (c.getType().equals(type)) {
        if (value.equals(c.getStatus()) && c.getLastTransitionTime() != null) {
          since = c.getLastTransitionTime();
        }
      } else {
        out.add(c);
      }
    }
    out.add(
        new ConditionBuilder()
            .withType(type)
            .withStatus(value)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(since)
            .build());
    out.sort(java.util.Comparator.comparing(Condition::getType));
    status.setConditions(out);
    status.setObservedGeneration(generation);
  }

  static boolean isTrue(KeybrakeStatus status, String type) {
    return status != null
        && status.getConditions().stream()
            .anyMatch(c -> c.getType().equals(type) && "True".equals(c.getStatus()));
  }
}
