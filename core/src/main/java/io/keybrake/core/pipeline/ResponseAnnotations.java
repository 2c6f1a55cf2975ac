package io.keybrake.core.pipeline;

import java.util.List;
import java.util.Map;

/**
 * What the policy point adds to a vendor response (spend so far, remaining budget), and whether it
 * still needs the response body.
 *
 * @param bodyNeeded false when the exchange was settled from the headers alone (an endpoint that
 *     costs nothing and is not kept for replay): the data plane may skip the body phase
 * @param body the body the agent gets instead of the vendor's (a masked one), or null to pass the
 *     vendor's on unchanged
 */
public record ResponseAnnotations(
    List<Map.Entry<String, String>> setHeaders, boolean bodyNeeded, byte[] body) {
  public static final ResponseAnnotations NONE = new ResponseAnnotations(List.of(), false);

  /** Nothing to add yet: the body follows. */
  public static final ResponseAnnotations AWAIT_BODY = new ResponseAnnotations(List.of(), true);

  public ResponseAnnotations {
    setHeaders = List.copyOf(setHeaders);
  }

  public ResponseAnnotations(List<Map.Entry<String, String>> setHeaders, boolean bodyNeeded) {
    this(setHeaders, bodyNeeded, null);
  }

  /** These annotations, the agent getting {@code replacement} as the body. */
  public ResponseAnnotations withBody(byte[] replacement) {
    return new ResponseAnnotations(setHeaders, bodyNeeded, replacement);
  }
}
