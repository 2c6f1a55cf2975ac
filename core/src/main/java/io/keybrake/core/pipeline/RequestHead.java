package io.keybrake.core.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The request line and headers as the data plane saw them. Header names are lower case; the list
 * keeps duplicates in order.
 *
 * @param path the raw {@code :path}, query included
 * @param endOfStream true when the request has no body
 */
public record RequestHead(
    String method,
    String path,
    String authority,
    List<Map.Entry<String, String>> headers,
    boolean endOfStream) {

  public RequestHead {
    headers =
        headers.stream()
            .map(e -> Map.entry(e.getKey().toLowerCase(Locale.ROOT), e.getValue()))
            .toList();
  }

  /** Every value of the named header, in order. */
  public List<String> all(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    List<String> values = null;
    for (Map.Entry<String, String> e : headers) { // a loop, not a stream: several lookups a call
      if (e.getKey().equals(n)) {
        if (values == null) {
          values = new ArrayList<>(1);
        }
        values.add(e.getValue());
      }
    }
    return values == null ? List.of() : Collections.unmodifiableList(values);
  }

  /** The first value of the named header. */
  public Optional<String> first(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, String> e : headers) {
      if (e.getKey().equals(n)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }
}
