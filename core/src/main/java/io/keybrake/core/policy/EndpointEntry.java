package io.keybrake.core.policy;

import io.keybrake.core.vendor.EndpointSpec;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of a policy's {@code allowed_endpoints}, in one of three forms:
 *
 * <ul>
 *   <li>{@link Name}: an endpoint name from the vendor spec, e.g. {@code messages.create};
 *   <li>{@link MethodPath}: {@code "METHOD /path"} (method or {@code *}), where a path segment
 *       {@code *} or {@code {var}} matches any one segment and a last {@code **} any rest;
 *   <li>{@link PathTree}: a bare path such as {@code /v1/invoices}: every method on that path and
 *       on every path below it ({@code *} and {@code {var}} segments as above).
 * </ul>
 *
 * Immutable and thread-safe.
 */
public sealed interface EndpointEntry {

  /** The entry as Keybrake stores and shows it (method upper case, no trailing slash). */
  String canonical();

  /**
   * Whether a request of {@code method} on {@code normalizedPath}, matched to {@code ep}, is in.
   */
  boolean allows(EndpointSpec ep, String method, String normalizedPath);

  /**
   * Whether this entry lets through some request the vendor serves with {@code ep} (used to show
   * what an entry expands to, and to refuse an entry that reaches nothing).
   */
  boolean reaches(EndpointSpec ep);

  /** The methods a {@link MethodPath} entry may name ({@code *} is any). */
  Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*");

  /** Parses an entry; empty when it is not valid syntax in any of the three forms. */
  static Optional<EndpointEntry> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String t = text.strip();
    if (Syntax.NAME.matcher(t).matches()) {
      return Optional.of(new Name(t));
    }
    if (t.startsWith("/")) {
      return Syntax.path(t).map(PathTree::new);
    }
    String[] parts = t.split("[ \t]+");
    if (parts.length != 2) {
      return Optional.empty();
    }
    String method = parts[0].toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      return Optional.empty();
    }
    return Syntax.path(parts[1]).map(p -> new MethodPath(method, p));
  }

  /** An endpoint name; allows only that (named) endpoint. */
  record Name(String name) implements EndpointEntry {
    @Override
    public String canonical() {
      return name;
    }

    @Override
    public boolean allows(EndpointSpec ep, String method, String normalizedPath) {
      return reaches(ep);
    }

    @Override
    public boolean reaches(EndpointSpec ep) {
      return ep.named() && ep.name().equals(name);
    }
  }

  /** {@code METHOD /path}: that method on paths matching the pattern (or the exact template). */
  record MethodPath(String method, String path) implements EndpointEntry {
    @Override
    public String canonical() {
      return method + " " + path;
    }

    @Override
    public boolean allows(EndpointSpec ep, String requestMethod, String normalizedPath) {
      return methodMatches(requestMethod)
          && (path.equals(ep.pathTemplate()) || Syntax.glob(path, normalizedPath, false));
    }

    @Override
    public boolean reaches(EndpointSpec ep) {
      return methodMatches(ep.method())
          && (path.equals(ep.pathTemplate()) || Syntax.overlaps(path, ep.pathTemplate(), false));
    }

    private boolean methodMatches(String m) {
      return method.equals("*") || method.equals(m);
    }
  }

  /** A bare path: every method on it and on every path below it. */
  record PathTree(String path) implements EndpointEntry {
    @Override
    public String canonical() {
      return path;
    }

    @Override
    public boolean allows(EndpointSpec ep, String method, String normalizedPath) {
      return Syntax.glob(path, normalizedPath, true);
    }

    @Override
    public boolean reaches(EndpointSpec ep) {
      return Syntax.overlaps(path, ep.pathTemplate(), true);
    }
  }

  /** Path syntax and matching shared by the forms. */
  final class Syntax {
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+");
    private static final Pattern SEGMENT =
        Pattern.compile("\\*\\*?|\\{[A-Za-z][A-Za-z0-9_]*\\}|[A-Za-z0-9._~:@!$&'()+,;=-]+");

    private Syntax() {}

    /** The canonical path (no trailing slash), or empty when it is not a valid pattern. */
    static Optional<String> path(String p) {
      if (!p.startsWith("/") || p.contains("//")) {
        return Optional.empty();
      }
      String body = p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
      if (body.equals("/")) {
        return Optional.of("/");
      }
      String[] segs = body.substring(1).split("/", -1);
      for (int i = 0; i < segs.length; i++) {
        String s = segs[i];
        if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..")) {
          return Optional.empty();
        }
        if (s.equals("**") && i != segs.length - 1) {
          return Optional.empty();
        }
      }
      return Optional.of(body);
    }

    private static String[] segments(String path) {
      return path.equals("/") ? new String[0] : path.substring(1).split("/", -1);
    }

    private static boolean wild(String seg) {
      return seg.equals("*") || seg.startsWith("{");
    }

    /**
     * Whether {@code path} matches {@code pattern}; with {@code tree}, also every path below it. A
     * last {@code **} matches one or more segments.
     */
    static boolean glob(String pattern, String path, boolean tree) {
      String[] pp = segments(pattern);
      String[] ss = segments(path);
      for (int i = 0; i < pp.length; i++) {
        if (pp[i].equals("**")) {
          return ss.length > i;
        }
        if (i >= ss.length || !(wild(pp[i]) || pp[i].equals(ss[i]))) {
          return false;
        }
      }
      return tree ? ss.length >= pp.length : ss.length == pp.length;
    }

    /**
     * Whether some path matches both {@code pattern} (with {@code tree}: or lies below it) and the
     * endpoint {@code template} (whose {@code {var}} segments match one segment, a last {@code
     * {rest...}} one or more).
     */
    static boolean overlaps(String pattern, String template, boolean tree) {
      String[] pp = segments(pattern);
      String[] tt = segments(template);
      boolean templateRest = tt.length > 0 && tt[tt.length - 1].endsWith("...}");
      int fixed = templateRest ? tt.length - 1 : tt.length;
      for (int i = 0; i < pp.length; i++) {
        if (pp[i].equals("**")) {
          return templateRest || fixed > i;
        }
        if (i >= fixed) {
          return templateRest; // the template's rest covers the pattern's remaining segments
        }
        if (!(wild(pp[i]) || tt[i].contains("{") || pp[i].equals(tt[i]))) {
          return false;
        }
      }
      if (tree) {
        return true; // the template is the pattern's path or lies below it
      }
      return templateRest ? pp.length > fixed : fixed == pp.length;
    }
  }
}
