package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/**
 * The status every Keybrake kind carries: {@code Accepted} (the spec is valid and its references
 * resolve) and {@code Ready} (the registry holds what the spec asks for) conditions, each with a
 * reason, plus the generation they describe. Mutable bean for Jackson; not thread-safe.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KeybrakeStatus {
  /** Condition type: the spec is valid and everything it references exists. */
  public static final String ACCEPTED = "Accepted";

  /** Condition type: the registry holds what the spec asks for. */
  public static final String READY = "Ready";

  private Long observedGeneration;
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions == null ? new ArrayList<>() : new ArrayList<>(conditions);
  }
}
