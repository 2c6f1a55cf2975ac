package io.keybrake.core.request;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.io.ByteArrayOutputStream;
import java.util.Locale;

/**
 * Turns the raw request target ({@code :path}) into the one form that endpoint matching sees.
 *
 * <p>The path is percent-decoded exactly once. Anything that could be read two ways is refused with
 * {@code unreadable_request} rather than guessed: a decoded {@code '/'}, {@code '\'}, {@code '%'},
 * {@code '?'} or {@code '#'}; control characters; {@code "."} or {@code ".."} segments (raw or
 * encoded, also with a {@code ;parameter}); malformed escapes; bytes that are not UTF-8. Duplicate
 * and trailing slashes are collapsed and a trailing {@code .json} suffix is lower-cased. The query
 * is kept raw (it is not used for matching). Thread-safe (stateless).
 */
public final class PathNormalizer {
  private static final String JSON_SUFFIX = ".json";

  private PathNormalizer() {}

  /** Normalizes {@code rawPathWithQuery}, e.g. {@code "/v1//charges/?expand=x"}. */
  public static NormalizedPath normalize(String rawPathWithQuery) throws RequestRejected {
    if (rawPathWithQuery == null || rawPathWithQuery.isEmpty()) {
      throw reject("empty request path");
    }
    int q = rawPathWithQuery.indexOf('?');
    String rawPath = q < 0 ? rawPathWithQuery : rawPathWithQuery.substring(0, q);
    String query = q < 0 ? "" : rawPathWithQuery.substring(q + 1);
    if (!rawPath.startsWith("/")) {
      throw reject("request path must start with '/'");
    }
    checkRaw(rawPath, "path");
    checkRaw(query, "query");
    if (rawPathWithQuery.indexOf('#') >= 0) {
      throw reject("request target contains a fragment ('#')");
    }

    StringBuilder path = new StringBuilder(rawPath.length());
    for (String rawSegment : rawPath.split("/", -1)) {
      if (rawSegment.isEmpty()) {
        continue; // leading, duplicate or trailing slash
      }
      String segment = decodeSegment(rawSegment);
      String beforeParams = segment.split(";", 2)[0];
      if (beforeParams.equals(".") || beforeParams.equals("..")) {
        throw reject("request path contains a dot segment");
      }
      path.append('/').append(segment);
    }
    if (path.length() == 0) {
      path.append('/');
    }
    String result = path.toString();
    if (result.toLowerCase(Locale.ROOT).endsWith(JSON_SUFFIX)) {
      result = result.substring(0, result.length() - JSON_SUFFIX.length()) + JSON_SUFFIX;
    }
    return new NormalizedPath(result, query);
  }

  private static void checkRaw(String raw, String what) throws RequestRejected {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw reject("request " + what + " contains a character that must be percent-encoded");
      }
      if (c == '\\') {
        throw reject("request " + what + " contains a backslash");
      }
    }
  }

  private static String decodeSegment(String raw) throws RequestRejected {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '%') {
        bytes.write(c);
        continue;
      }
      if (i + 2 >= raw.length()) {
        throw reject("request path has a malformed percent-escape");
      }
      int hi = Character.digit(raw.charAt(i + 1), 16);
      int lo = Character.digit(raw.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) {
        throw reject("request path has a malformed percent-escape");
      }
      int b = (hi << 4) | lo;
      if (b < 0x20 || b == 0x7f || "/\\%?#".indexOf(b) >= 0) {
        throw reject("request path has an encoded '/', '\\', '%', '?', '#' or control character");
      }
      bytes.write(b);
      i += 2;
    }
    String decoded;
    try {
      decoded = Utf8.decodeStrict(bytes.toByteArray());
    } catch (IllegalArgumentException e) {
      throw reject("request path is not valid UTF-8 after percent-decoding");
    }
    for (int i = 0; i < decoded.length(); i++) {
      if (Character.isISOControl(decoded.charAt(i))) {
        throw reject("request path has an encoded control character");
      }
    }
    return decoded;
  }

  private static RequestRejected reject(String message) {
    return new RequestRejected(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
