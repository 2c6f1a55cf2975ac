package io.keybrake.core.pipeline;

import java.util.List;
import java.util.Map;

/** Headers the policy point adds to a vendor response (spend so far, remaining budget). */
public record ResponseAnnotations(List<Map.Entry<String, String>> setHeaders) {
  public static final ResponseAnnotations NONE = new ResponseAnnotations(List.of());

  public ResponseAnnotations {
    setHeaders = List.copyOf(setHeaders);
  }
}
