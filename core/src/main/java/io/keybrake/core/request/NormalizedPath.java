package io.keybrake.core.request;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A request path after {@link PathNormalizer}: percent-decoded once, no dot segments, no duplicate
 * or trailing slashes, {@code .json} suffix in lower case. Immutable and thread-safe.
 *
 * @param path the decoded path; always starts with {@code "/"}
 * @param query the raw query string without the {@code '?'}; {@code ""} when there is none
 */
public record NormalizedPath(String path, String query) {
  private static final String HEX = "0123456789ABCDEF";

  public NormalizedPath {
    Objects.requireNonNull(path);
    Objects.requireNonNull(query);
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/'");
    }
  }

  /**
   * The path in the form to forward upstream: every character that may not appear unencoded in a
   * path segment (RFC 3986 {@code pchar}) is percent-encoded as UTF-8. The result decodes back to
   * {@link #path()}.
   */
  public String encodedPath() {
    StringBuilder out = new StringBuilder(path.length() + 8);
    for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '/' || isPchar(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
      }
    }
    return out.toString();
  }

  /** {@link #encodedPath()} followed by {@code ?query} when there is a query. */
  public String encodedPathAndQuery() {
    return query.isEmpty() ? encodedPath() : encodedPath() + "?" + query;
  }

  private static boolean isPchar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "-._~!$&'()*+,;=:@".indexOf(c) >= 0;
  }
}
