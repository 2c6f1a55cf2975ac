package io.keybrake.core.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the data plane must change before forwarding an allowed call: the real credential in place
 * of the vault key, the Twilio path SID, an injected {@code TimeLimit}.
 *
 * @param path the new {@code :path}, when it changes
 * @param setHeaders headers to set, overwriting any the agent sent
 * @param removeHeaders headers to drop
 * @param body the new body, when it changes
 * @param clearRouteCache whether routing depends on a header set here ({@code x-keybrake-key-id})
 */
public record RequestRewrite(
    Optional<String> path,
    List<Map.Entry<String, String>> setHeaders,
    List<String> removeHeaders,
    Optional<byte[]> body,
    boolean clearRouteCache) {

  public RequestRewrite {
    setHeaders = List.copyOf(setHeaders);
    removeHeaders = List.copyOf(removeHeaders);
  }
}
