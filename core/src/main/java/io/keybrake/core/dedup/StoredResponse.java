package io.keybrake.core.dedup;

import java.util.List;
import java.util.Map;

/** A completed vendor response kept for replay: status, headers (lower-case names) and body. */
public record StoredResponse(int status, List<Map.Entry<String, String>> headers, byte[] body) {
  public StoredResponse {
    headers = List.copyOf(headers);
    body = body.clone();
  }

  @Override
  public byte[] body() {
    return body.clone();
  }
}
