package io.keybrake.core.pipeline;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.dedup.StoredResponse;

/**
 * What the policy point decided about a request. Expected outcomes are values: a refusal is a
 * {@link Deny}, never an exception.
 */
public sealed interface Decision {

  /** Headers are fine; the decision needs the body (the data plane sends it next). */
  record NeedBody() implements Decision {}

  /** Forward the call after applying the rewrite. */
  record Allow(RequestRewrite rewrite) implements Decision {}

  /** Refuse with the rendered body; the vendor sees nothing. */
  record Deny(Refusal refusal, RenderedResponse response) implements Decision {}

  /** Answer with the first response of an identical call; the vendor sees nothing. */
  record Replay(StoredResponse response) implements Decision {}
}
