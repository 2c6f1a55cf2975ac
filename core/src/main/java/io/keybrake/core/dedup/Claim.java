package io.keybrake.core.dedup;

/**
 * What a store's dedup claim found, inside its {@link io.keybrake.core.admission.Admission} step.
 */
public sealed interface Claim {
  /** This caller is the original: reserve, forward, then keep the response or give the claim up. */
  record Won(String token) implements Claim {}

  /** An identical call is in flight; wait for a change and claim again. */
  record InFlight() implements Claim {}

  /** An identical call completed with a 2xx within the window: replay it. */
  record Completed(StoredResponse response) implements Claim {}
}
