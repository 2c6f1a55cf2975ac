package io.keybrake.harness.sim;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** One response a simulator sends: status, extra headers and a JSON body. Immutable. */
record SimResponse(int status, List<Map.Entry<String, String>> headers, String json) {

  SimResponse {
    headers = List.copyOf(headers);
  }

  static SimResponse json(int status, String json) {
    return new SimResponse(status, List.of(), json);
  }

  SimResponse withHeader(String name, String value) {
    List<Map.Entry<String, String>> h = new java.util.ArrayList<>(headers);
    h.add(Map.entry(name, value));
    return new SimResponse(status, h, json);
  }

  SimResponse withStatus(int other) {
    return new SimResponse(other, headers, json);
  }

  byte[] bytes() {
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
