package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns an {@link ImmediateResponse} into the local reply Envoy sends: status (200 when absent or
 * below 200), header mutations under permissive rules, then {@code content-length} and, when
 * absent, {@code content-type: text/plain} for a non-empty body. Stateless and thread-safe.
 */
final class ImmediateReplies {
  private ImmediateReplies() {}

  static HttpResult toResult(ImmediateResponse immediate, ExchangeTrace trace) {
    int status = immediate.hasStatus() ? immediate.getStatus().getCodeValue() : 200;
    if (status < 200) {
      status = 200;
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (immediate.hasHeaders()) {
      Optional<String> error =
          new HeaderMutator(MutationRules.IMMEDIATE)
              .apply(immediate.getHeaders(), headers, false, trace.notes());
      error.ifPresent(e -> trace.note("immediate response mutations failed: " + e));
    }
    byte[] body = immediate.getBody().toByteArray();
    if (body.length > 0) {
      HeaderMutator.set(headers, "content-length", Integer.toString(body.length));
      if (Headers.first(headers, "content-type").isEmpty()) {
        headers.add(Map.entry("content-type", "text/plain"));
      }
    } else {
      headers.removeIf(
          e -> e.getKey().equals("content-length") || e.getKey().equals("content-type"));
    }
    headers.removeIf(e -> e.getKey().startsWith(":"));
    String details = immediate.getDetails().replaceAll("\\s", "_");
    trace.localReply(details.isEmpty() ? "ext_proc_immediate_response" : details);
    return new HttpResult(status, headers, body, trace.build());
  }
}
