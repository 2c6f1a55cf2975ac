package io.keybrake.core.dedup;

/** The result of {@link DedupCache#claim}. */
public sealed interface Claim {
  /** This caller is the original: forward, then {@code complete} or {@code abandon}. */
  record Won(String token) implements Claim {}

  /** An identical call is in flight; wait with {@link DedupCache#awaitChange} and claim again. */
  record InFlight() implements Claim {}

  /** An identical call completed with a 2xx within the window: replay it. */
  record Completed(StoredResponse response) implements Claim {}
}
