package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies the {@link CommonResponse} of a headers or body answer to one direction of an exchange,
 * as Envoy's {@code ProcessorState} does. Not thread-safe: one per exchange.
 */
final class CommonResponses {
  private final HeaderMutator mutator;
  private final ExchangeTrace trace;

  /** A body after a body answer, or the error that makes a local 500. */
  record Mutated(byte[] body, Optional<String> error) {}

  CommonResponses(MutationRules rules, ExchangeTrace trace) {
    this.mutator = new HeaderMutator(rules);
    this.trace = trace;
  }

  /** Applies a headers answer; returns the error that makes a local 500, if any. */
  Optional<String> applyHeaders(
      CommonResponse common, List<Map.Entry<String, String>> headers, boolean requestDirection) {
    if (common.hasHeaderMutation()) {
      boolean replacing = common.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE;
      Optional<String> error =
          mutator.apply(common.getHeaderMutation(), headers, replacing, trace.notes());
      if (error.isPresent()) {
        return error;
      }
    }
    clearRouteCache(common, requestDirection);
    return Optional.empty();
  }

  private void clearRouteCache(CommonResponse common, boolean requestDirection) {
    if (!common.getClearRouteCache()) {
      return;
    }
    if (!requestDirection) {
      trace.note("clear_route_cache ignored in the response direction");
    } else if (!common.hasHeaderMutation()) {
      trace.note("clear_route_cache ignored without a header mutation");
    } else {
      trace.routeCacheCleared();
    }
  }

  /** CONTINUE_AND_REPLACE on a headers answer: the body mutation replaces the whole body. */
  byte[] replaceMessage(
      CommonResponse common, List<Map.Entry<String, String>> headers, byte[] body) {
    if (!common.hasBodyMutation()) {
      return body;
    }
    headers.removeIf(e -> e.getKey().equals("content-length"));
    return mutate(common.getBodyMutation(), body);
  }

  /** Applies a buffered body answer: the new body, or the error that makes a local 500. */
  Mutated applyBody(CommonResponse common, List<Map.Entry<String, String>> headers, byte[] body) {
    if (common.hasHeaderMutation()) {
      Optional<String> error =
          mutator.apply(common.getHeaderMutation(), headers, false, trace.notes());
      if (error.isPresent()) {
        return new Mutated(body, error);
      }
    }
    if (!common.hasBodyMutation()) {
      return new Mutated(body, Optional.empty());
    }
    Optional<String> contentLength = Headers.first(headers, "content-length");
    if (contentLength.isPresent()) {
      long declared;
      try {
        declared = Long.parseLong(contentLength.get().trim());
      } catch (NumberFormatException e) {
        declared = -1;
      }
      if (declared >= 0 && declared != common.getBodyMutation().getBody().size()) {
        return new Mutated(
            body,
            Optional.of("mismatch between content length and the length of the mutated body"));
      }
    }
    return new Mutated(mutate(common.getBodyMutation(), body), Optional.empty());
  }

  private static byte[] mutate(BodyMutation mutation, byte[] body) {
    return switch (mutation.getMutationCase()) {
      case BODY -> mutation.getBody().toByteArray();
      case CLEAR_BODY -> mutation.getClearBody() ? new byte[0] : body;
      default -> body;
    };
  }
}
