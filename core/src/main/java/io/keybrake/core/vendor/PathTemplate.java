package io.keybrake.core.vendor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed path template. Each segment is a literal, or {@code prefix{var}suffix} matching one
 * non-empty segment; a last segment {@code {var...}} matches one or more segments. Immutable.
 */
final class PathTemplate {
  private static final Pattern VARIABLE =
      Pattern.compile("([^{}]*)\\{([A-Za-z][A-Za-z0-9_]*)\\}([^{}]*)");
  private static final Pattern REST = Pattern.compile("\\{([A-Za-z][A-Za-z0-9_]*)\\.\\.\\.\\}");

  private record Segment(String prefix, String variable, String suffix) {
    boolean literal() {
      return variable == null;
    }
  }

  private final String template;
  private final List<Segment> segments;
  private final String restVariable;

  private PathTemplate(String template, List<Segment> segments, String restVariable) {
    this.template = template;
    this.segments = List.copyOf(segments);
    this.restVariable = restVariable;
  }

  private static final Map<String, PathTemplate> CACHE = new ConcurrentHashMap<>();

  /** The parsed template, cached (templates come from a handful of spec files). */
  static PathTemplate of(String template) {
    return CACHE.computeIfAbsent(template, PathTemplate::parse);
  }

  static PathTemplate parse(String template) {
    if (!template.startsWith("/") || template.length() < 2 || template.endsWith("/")) {
      throw new IllegalArgumentException("path template '" + template + "' must be /a/b");
    }
    String[] parts = template.substring(1).split("/", -1);
    List<Segment> segments = new ArrayList<>();
    Set<String> names = new HashSet<>();
    String rest = null;
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      Matcher restMatch = REST.matcher(part);
      Matcher variable = VARIABLE.matcher(part);
      if (part.isEmpty()) {
        throw new IllegalArgumentException("path template '" + template + "' has an empty segment");
      } else if (restMatch.matches()) {
        if (i != parts.length - 1) {
          throw new IllegalArgumentException("'" + part + "' must be the last segment");
        }
        rest = restMatch.group(1);
        addName(names, rest, template);
      } else if (variable.matches()) {
        addName(names, variable.group(2), template);
        segments.add(new Segment(variable.group(1), variable.group(2), variable.group(3)));
      } else if (part.indexOf('{') >= 0 || part.indexOf('}') >= 0) {
        throw new IllegalArgumentException("path template segment '" + part + "' is malformed");
      } else {
        segments.add(new Segment(part, null, ""));
      }
    }
    return new PathTemplate(template, segments, rest);
  }

  private static void addName(Set<String> names, String name, String template) {
    if (!names.add(name)) {
      throw new IllegalArgumentException("path template '" + template + "' repeats {" + name + "}");
    }
  }

  boolean isCatchAll() {
    return restVariable != null;
  }

  /** How many segments are pure literals: more literal templates are tried first. */
  int literalSegments() {
    return (int) segments.stream().filter(Segment::literal).count();
  }

  /** The variables when {@code path} (normalized, starting with '/') matches. */
  Optional<Map<String, String>> match(String path) {
    if (!path.startsWith("/")) {
      return Optional.empty();
    }
    String[] parts = path.substring(1).split("/", -1);
    int fixed = segments.size();
    if (restVariable == null ? parts.length != fixed : parts.length <= fixed) {
      return Optional.empty();
    }
    Map<String, String> variables = new HashMap<>();
    for (int i = 0; i < fixed; i++) {
      Segment s = segments.get(i);
      String part = parts[i];
      if (s.literal()) {
        if (!part.equals(s.prefix())) {
          return Optional.empty();
        }
        continue;
      }
      int valueLength = part.length() - s.prefix().length() - s.suffix().length();
      if (valueLength <= 0 || !part.startsWith(s.prefix()) || !part.endsWith(s.suffix())) {
        return Optional.empty();
      }
      variables.put(
          s.variable(), part.substring(s.prefix().length(), part.length() - s.suffix().length()));
    }
    if (restVariable != null) {
      StringBuilder rest = new StringBuilder();
      for (int i = fixed; i < parts.length; i++) {
        if (parts[i].isEmpty()) {
          return Optional.empty();
        }
        rest.append(rest.length() == 0 ? "" : "/").append(parts[i]);
      }
      variables.put(restVariable, rest.toString());
    }
    return Optional.of(variables);
  }

  @Override
  public String toString() {
    return template;
  }
}
