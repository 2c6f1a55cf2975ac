package io.keybrake.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the files in {@code ops/}: the PromQL expressions of the Grafana dashboard and the alert
 * rules, the metric names they use, and a structural check of a Prometheus rule file (what {@code
 * promtool check rules} checks of the structure; the PromQL itself is only checked for balanced
 * brackets and names).
 */
public final class OpsArtifacts {
  public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  public static final Path RULES = ROOT.resolve("ops/prometheus/keybrake-rules.yaml");
  public static final Path PROMETHEUS_RULE =
      ROOT.resolve("ops/kubernetes/keybrake-prometheusrule.yaml");
  public static final Path DASHBOARD = ROOT.resolve("ops/grafana/keybrake-dashboard.json");
  public static final Path RUNBOOK = ROOT.resolve("docs/runbook.md");

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();

  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "inf",
          "nan");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern DURATION = Pattern.compile("^(0|([0-9]+(ms|s|m|h|d|w|y))+)$");
  private static final Pattern RUNBOOK_URL = Pattern.compile("^docs/runbook\\.md#([a-z0-9-]+)$");

  private OpsArtifacts() {}

  public static JsonNode yaml(Path p) throws IOException {
    return YAML.readTree(Files.readString(p));
  }

  /** Every PromQL expression of the dashboard's panels. */
  public static List<String> dashboardExpressions() throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode panel : JSON.readTree(Files.readString(DASHBOARD)).get("panels")) {
      for (JsonNode t : panel.path("targets")) {
        out.add(t.get("expr").asText());
      }
    }
    return out;
  }

  /** Every alert expression of a rule file's groups. */
  public static List<String> ruleExpressions(JsonNode groups) {
    List<String> out = new ArrayList<>();
    for (JsonNode g : groups) {
      for (JsonNode r : g.get("rules")) {
        out.add(r.get("expr").asText());
      }
    }
    return out;
  }

  /**
   * The metric names a PromQL expression selects: identifiers that are not functions (followed by a
   * parenthesis), keywords, label names (inside braces or grouping clauses) or string contents.
   */
  public static Set<String> metricNames(String expr) {
    String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    s = s.replaceAll("\\{[^}]*}", " ");
    s = s.replaceAll("\\[[^]]*]", " ");
    s = GROUPING.matcher(s).replaceAll(" ");
    s = s.replaceAll("\\$\\{?[a-zA-Z_]+}?", " ");
    Set<String> out = new LinkedHashSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String id = m.group();
      int after = m.end();
      while (after < s.length() && s.charAt(after) == ' ') {
        after++;
      }
      boolean function = after < s.length() && s.charAt(after) == '(';
      boolean number = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      if (!function && !number && !KEYWORDS.contains(id.toLowerCase(Locale.ROOT))) {
        out.add(id);
      }
    }
    return out;
  }

  /** Anchors of the runbook's headings, as GitHub renders them. */
  public static Set<String> runbookAnchors() throws IOException {
    Set<String> out = new HashSet<>();
    for (String line : Files.readAllLines(RUNBOOK)) {
      if (line.startsWith("#")) {
        String title = line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT);
        out.add(title.replaceAll("[^a-z0-9 -]", "").replace(' ', '-'));
      }
    }
    return out;
  }

  /**
   * Problems with a rule file's structure ({@code groups: [{name, rules: [{alert, expr, for,
   * labels, annotations}]}]}); empty when it is valid. Alerts need a severity of {@code critical}
   * or {@code warning}, a summary, and a {@code runbook_url} naming a heading of the runbook.
   */
  public static List<String> ruleProblems(JsonNode doc, Set<String> anchors) {
    List<String> problems = new ArrayList<>();
    JsonNode groups = doc.get("groups");
    if (groups == null || !groups.isArray() || groups.isEmpty()) {
      return List.of("no groups list");
    }
    Set<String> groupNames = new HashSet<>();
    Set<String> alerts = new HashSet<>();
    for (JsonNode g : groups) {
      checkKeys(g, Set.of("name", "interval", "rules", "limit"), "group", problems);
      String name = g.path("name").asText("");
      if (name.isEmpty() || !groupNames.add(name)) {
        problems.add("group name missing or repeated: '" + name + "'");
      }
      if (!g.path("interval").isMissingNode()
          && !DURATION.matcher(g.get("interval").asText()).matches()) {
        problems.add(name + ": bad interval");
      }
      JsonNode rules = g.get("rules");
      if (rules == null || !rules.isArray() || rules.isEmpty()) {
        problems.add(name + ": no rules");
        continue;
      }
      for (JsonNode r : rules) {
        String alert = r.path("alert").asText("");
        checkKeys(
            r,
            Set.of("alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"),
            "rule " + alert,
            problems);
        if (!alert.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          problems.add(name + ": alert name '" + alert + "' is not a valid metric name");
          continue;
        }
        if (!alerts.add(alert)) {
          problems.add(alert + ": repeated");
        }
        String expr = r.path("expr").asText("");
        if (expr.isBlank()) {
          problems.add(alert + ": no expr");
        } else if (!balanced(expr)) {
          problems.add(alert + ": unbalanced brackets in expr");
        }
        if (!r.path("for").isMissingNode() && !DURATION.matcher(r.get("for").asText()).matches()) {
          problems.add(alert + ": 'for' is not a duration: " + r.get("for").asText());
        }
        String severity = r.path("labels").path("severity").asText("");
        if (!severity.equals("critical") && !severity.equals("warning")) {
          problems.add(alert + ": severity must be critical or warning, not '" + severity + "'");
        }
        JsonNode ann = r.path("annotations");
        if (ann.path("summary").asText("").isBlank()) {
          problems.add(alert + ": no summary");
        }
        Matcher url = RUNBOOK_URL.matcher(ann.path("runbook_url").asText(""));
        if (!url.matches()) {
          problems.add(alert + ": runbook_url must be docs/runbook.md#<anchor>");
        } else if (!anchors.contains(url.group(1))) {
          problems.add(alert + ": runbook has no heading #" + url.group(1));
        }
        for (JsonNode section : List.of(r.path("labels"), ann)) {
          section
              .properties()
              .forEach(
                  f -> {
                    if (!f.getValue().isValueNode()) {
                      problems.add(alert + ": " + f.getKey() + " must be a string");
                    }
                  });
        }
      }
    }
    return problems;
  }

  private static void checkKeys(JsonNode node, Set<String> allowed, String what, List<String> out) {
    node.properties()
        .forEach(
            f -> {
              if (!allowed.contains(f.getKey())) {
                out.add(what + ": unknown field '" + f.getKey() + "'");
              }
            });
  }

  private static boolean balanced(String expr) {
    int round = 0;
    int square = 0;
    int curly = 0;
    boolean quoted = false;
    for (int i = 0; i < expr.length(); i++) {
      char c = expr.charAt(i);
      if (c == '"' && (i == 0 || expr.charAt(i - 1) != '\\')) {
        quoted = !quoted;
      }
      if (quoted) {
        continue;
      }
      switch (c) {
        case '(' -> round++;
        case ')' -> round--;
        case '[' -> square++;
        case ']' -> square--;
        case '{' -> curly++;
        case '}' -> curly--;
        default -> {}
      }
      if (round < 0 || square < 0 || curly < 0) {
        return false;
      }
    }
    return round == 0 && square == 0 && curly == 0 && !quoted;
  }
}
