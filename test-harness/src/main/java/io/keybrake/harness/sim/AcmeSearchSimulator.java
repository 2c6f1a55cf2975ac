package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code AcmeSearchSimulator} plays a made-up paid search API that Keybrake does not ship a spec
 * for (tests drop one into {@code KEYBRAKE_VENDOR_DIR}): {@code POST /v1/search} with a JSON body,
 * the API key in an {@code X-Api-Key} header; answers 200 {@code {"id","results":[…]}}, or 401
 * {@code {"error":"bad api key"}}. Thread-safe.
 */
public final class AcmeSearchSimulator extends VendorSimulator {
  private final String apiKey;

  public AcmeSearchSimulator(String apiKey) {
    this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
  }

  @Override
  public AcmeSearchSimulator start() {
    super.start();
    return this;
  }

  @Override
  protected SimResponse respond(RecordedRequest request) {
    Optional<String> key = request.header("X-Api-Key");
    if (key.isEmpty() || !Ids.same(key.get(), apiKey)) {
      return SimResponse.json(401, "{\"error\":\"bad api key\"}");
    }
    if (!request.method().equals("POST") || !request.path().equals("/v1/search")) {
      return SimResponse.json(404, "{\"error\":\"not found\"}");
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", "srch_" + Ids.hex32("").substring(0, 12));
    out.putArray("results").addObject().put("title", "a result");
    return SimResponse.json(200, out.toString());
  }

  @Override
  protected SimResponse forcedError(int status) {
    return SimResponse.json(status, "{\"error\":\"unavailable\"}");
  }
}
