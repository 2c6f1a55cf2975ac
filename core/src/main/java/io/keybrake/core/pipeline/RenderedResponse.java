package io.keybrake.core.pipeline;

import java.util.List;
import java.util.Map;

/** A response the policy point answers itself: status, headers (lower-case names), body. */
public record RenderedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body) {
  public RenderedResponse {
    headers = List.copyOf(headers);
  }
}
