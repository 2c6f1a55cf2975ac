package io.keybrake.core.decision;

import java.util.Map;
import java.util.Objects;

/**
 * Why a call is refused: a code, a message a person can act on, and extra fields for the JSON body
 * (e.g. {@code spent_usd}, {@code cap_usd}, {@code budget}). Messages never contain secrets.
 */
public record Refusal(RefusalCode code, String message, Map<String, Object> details) {
  public Refusal {
    Objects.requireNonNull(code);
    Objects.requireNonNull(message);
    details = Map.copyOf(details);
  }

  public static Refusal of(RefusalCode code, String message) {
    return new Refusal(code, message, Map.of());
  }

  public int status() {
    return code.status();
  }
}
