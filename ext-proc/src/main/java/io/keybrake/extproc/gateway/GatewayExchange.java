package io.keybrake.extproc.gateway;

import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One request as it passes the local gateway: starts as the agent sent it and takes the processor's
 * mutations (new {@code :path}, real credential, rewritten body). Not thread-safe.
 */
final class GatewayExchange {
  final String method;
  String path;
  final String authority;
  final String scheme;
  final List<Map.Entry<String, String>> headers;
  byte[] body;

  GatewayExchange(
      String method,
      String path,
      String authority,
      String scheme,
      List<Map.Entry<String, String>> headers,
      byte[] body) {
    this.method = method;
    this.path = path;
    this.authority = authority;
    this.scheme = scheme;
    this.headers = new ArrayList<>(headers);
    this.body = body;
  }

  /** Applies a processor answer: header mutations (incl. {@code :path}) and body mutation. */
  void apply(CommonResponse common) {
    List<Map.Entry<String, String>> pseudo = new ArrayList<>();
    pseudo.add(Map.entry(":path", path));
    LocalGateway.applyTo(pseudo, common);
    for (Map.Entry<String, String> e : pseudo) {
      if (e.getKey().equals(":path")) {
        path = e.getValue();
      }
    }
    LocalGateway.applyTo(headers, common);
    headers.removeIf(h -> h.getKey().startsWith(":"));
    if (common.hasBodyMutation()) {
      if (common.getBodyMutation().hasBody()) {
        body = common.getBodyMutation().getBody().toByteArray();
      } else if (common.getBodyMutation().getClearBody()) {
        body = new byte[0];
      }
    }
  }

  /** The first value of a header set by the agent or the processor. */
  String header(String name) {
    for (Map.Entry<String, String> h : headers) {
      if (h.getKey().equals(name)) {
        return h.getValue();
      }
    }
    return null;
  }
}
