package io.keybrake.extproc.server;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Converts between Envoy header maps and plain name/value lists. Envoy carries values in {@code
 * raw_value} bytes; this codec reads and writes {@code raw_value} only (setting {@code value} too
 * makes Envoy answer 500). Bytes map 1:1 to chars (ISO-8859-1), so nothing is lost. Stateless.
 */
public final class HeaderCodec {
  private HeaderCodec() {}

  public static List<Map.Entry<String, String>> decode(HeaderMap map) {
    List<Map.Entry<String, String>> out = new ArrayList<>(map.getHeadersCount());
    for (HeaderValue h : map.getHeadersList()) {
      String value =
          h.getRawValue().isEmpty()
              ? h.getValue()
              : h.getRawValue().toString(StandardCharsets.ISO_8859_1);
      out.add(Map.entry(h.getKey().toLowerCase(Locale.ROOT), value));
    }
    return out;
  }

  public static HeaderValue encode(String name, String value) {
    return HeaderValue.newBuilder()
        .setKey(name)
        .setRawValue(ByteString.copyFrom(value, StandardCharsets.ISO_8859_1))
        .build();
  }

  /** A mutation that overwrites (or adds) each header and removes the named ones. */
  public static HeaderMutation mutation(List<Map.Entry<String, String>> set, List<String> remove) {
    HeaderMutation.Builder b = HeaderMutation.newBuilder();
    for (Map.Entry<String, String> e : set) {
      b.addSetHeaders(
          HeaderValueOption.newBuilder()
              .setHeader(encode(e.getKey(), e.getValue()))
              .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }
    b.addAllRemoveHeaders(remove);
    return b.build();
  }

  /** The first value of a header, or null. */
  public static String first(List<Map.Entry<String, String>> headers, String name) {
    for (Map.Entry<String, String> e : headers) {
      if (e.getKey().equals(name)) {
        return e.getValue();
      }
    }
    return null;
  }
}
