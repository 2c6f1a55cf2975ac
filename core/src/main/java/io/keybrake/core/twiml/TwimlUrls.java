package io.keybrake.core.twiml;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether a URL whose TwiML Twilio would run later is one the policy names in {@code
 * allowed_twiml_urls}. The URL must be absolute, without user info, backslashes, whitespace or dot
 * segments (plain or percent-encoded); its scheme and host are compared without regard to case and
 * the rest exactly, as a prefix. Thread-safe (stateless).
 */
public final class TwimlUrls {
  private TwimlUrls() {}

  /** The URL in the form prefixes are compared against, or empty when it is not acceptable. */
  static Optional<String> normalized(String raw) {
    String s = raw.strip();
    if (s.isEmpty()
        || s.length() > 2048
        || !s.codePoints().allMatch(c -> c > 0x20 && c < 0x7f)
        || s.indexOf('\\') >= 0) {
      return Optional.empty();
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
    if (!uri.isAbsolute()
        || uri.getRawAuthority() == null
        || uri.getHost() == null
        || uri.getRawUserInfo() != null) {
      return Optional.empty();
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String lower = path.toLowerCase(Locale.ROOT);
    for (String segment : lower.split("/", -1)) {
      String decoded = segment.replace("%2e", ".");
      if (decoded.equals(".") || decoded.equals("..")) {
        return Optional.empty();
      }
    }
    if (lower.contains("%2f") || lower.contains("%5c")) {
      return Optional.empty();
    }
    String authority = uri.getRawAuthority();
    int at = s.indexOf(authority);
    return Optional.of(
        uri.getScheme().toLowerCase(Locale.ROOT)
            + "://"
            + authority.toLowerCase(Locale.ROOT)
            + s.substring(at + authority.length()));
  }

  /** True when {@code url} starts with one of {@code prefixes} (each as the policy stores it). */
  public static boolean allowed(List<String> prefixes, String url) {
    Optional<String> n = normalized(url);
    return n.isPresent() && prefixes.stream().anyMatch(n.get()::startsWith);
  }
}
