package io.keybrake.core.request;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The exact media type check for a request body: one {@code Content-Type} header whose type is
 * exactly one the endpoint declares (no prefix match: {@code application/jsonp} or {@code
 * application/x-www-form-urlencoded-evil} are other types), with at most a {@code charset}
 * parameter that says UTF-8. Any other parameter or charset is refused: the body would be read in
 * one encoding by Keybrake and possibly another by the vendor. Thread-safe (stateless).
 */
public final class MediaType {
  private MediaType() {}

  /**
   * Why {@code contentTypes} (every {@code Content-Type} value of the request, in order) does not
   * declare exactly {@code expected}, or empty when it does.
   */
  public static Optional<String> problem(List<String> contentTypes, String expected) {
    return problem(contentTypes, List.of(expected));
  }

  /**
   * Why {@code contentTypes} does not declare exactly one of {@code accepted} (lower case), or
   * empty when it does. The message names every accepted type.
   */
  public static Optional<String> problem(List<String> contentTypes, List<String> accepted) {
    String expected = String.join(" or ", accepted);
    if (contentTypes.size() > 1) {
      return Optional.of(
          "the request has "
              + contentTypes.size()
              + " Content-Type headers; send exactly one: "
              + expected);
    }
    String raw = contentTypes.isEmpty() ? "" : contentTypes.get(0);
    String[] parts = raw.split(";", -1);
    String type = parts[0].strip().toLowerCase(Locale.ROOT);
    if (!accepted.contains(type)) {
      return Optional.of(
          "this endpoint takes Content-Type "
              + expected
              + ", not '"
              + (type.isEmpty() ? "none" : printable(type))
              + "'");
    }
    boolean charsetSeen = false;
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].strip();
      if (p.isEmpty() && i == parts.length - 1) {
        continue; // a trailing ';'
      }
      int eq = p.indexOf('=');
      String name = eq < 0 ? p : p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      if (!name.equals("charset") || eq < 0 || charsetSeen) {
        return Optional.of(
            "Content-Type may carry only one parameter, charset=utf-8; '"
                + printable(p)
                + "' is not accepted");
      }
      charsetSeen = true;
      String value = p.substring(eq + 1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (!value.equalsIgnoreCase("utf-8")) {
        return Optional.of(
            "the body must be UTF-8; charset '" + printable(value) + "' is not accepted");
      }
    }
    return Optional.empty();
  }

  private static String printable(String s) {
    String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return t.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f) ? t : "(unprintable)";
  }
}
