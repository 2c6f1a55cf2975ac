package io.keybrake.cli.settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Operations settings of a process: which key labels become metric labels, and where budget
 * threshold webhooks go. Immutable.
 *
 * @param metricsKeyLabels {@code KEYBRAKE_METRICS_KEY_LABELS}: comma-separated key label names
 *     added to the decision counter as {@code key_<name>} (keep them few and low-cardinality)
 * @param webhookUrls {@code KEYBRAKE_WEBHOOK_URLS}: comma-separated URLs that receive every budget
 *     threshold (50/80/100 %)
 * @param webhookSecret {@code KEYBRAKE_WEBHOOK_SECRET}: the HMAC-SHA256 key signing each delivery
 * @param webhookSlack {@code KEYBRAKE_WEBHOOK_FORMAT=slack}: send Slack-compatible bodies
 */
public record OpsSettings(
    List<String> metricsKeyLabels,
    List<URI> webhookUrls,
    Optional<String> webhookSecret,
    boolean webhookSlack) {
  public static final OpsSettings DEFAULTS =
      new OpsSettings(List.of(), List.of(), Optional.empty(), false);

  private static final Pattern LABEL = Pattern.compile("[a-z][a-z0-9_]{0,31}");

  public OpsSettings {
    metricsKeyLabels = List.copyOf(metricsKeyLabels);
    webhookUrls = List.copyOf(webhookUrls);
  }

  /** Reads the settings; problems are added to {@code problems}. */
  public static OpsSettings parse(Map<String, String> env, List<String> problems) {
    List<String> labels = new ArrayList<>();
    for (String l : split(env.get("KEYBRAKE_METRICS_KEY_LABELS"))) {
      if (!LABEL.matcher(l).matches()) {
        problems.add(
            "KEYBRAKE_METRICS_KEY_LABELS: '" + l + "' is not a label name (a-z, 0-9, _; 32 max)");
      } else {
        labels.add(l);
      }
    }
    if (labels.size() > 3) {
      problems.add("KEYBRAKE_METRICS_KEY_LABELS: at most 3 labels (each multiplies the series)");
    }
    List<URI> urls = new ArrayList<>();
    for (String u : split(env.get("KEYBRAKE_WEBHOOK_URLS"))) {
      try {
        URI uri = new URI(u);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
          problems.add("KEYBRAKE_WEBHOOK_URLS: '" + u + "' is not an http(s) URL");
        } else {
          urls.add(uri);
        }
      } catch (URISyntaxException e) {
        problems.add("KEYBRAKE_WEBHOOK_URLS: '" + u + "' is not a valid URL");
      }
    }
    String secret = env.get("KEYBRAKE_WEBHOOK_SECRET");
    Optional<String> s =
        secret == null || secret.isBlank() ? Optional.empty() : Optional.of(secret.trim());
    if (s.isPresent() && s.get().length() < 16) {
      problems.add("KEYBRAKE_WEBHOOK_SECRET must be at least 16 characters");
    }
    if (!urls.isEmpty() && s.isEmpty()) {
      problems.add("KEYBRAKE_WEBHOOK_URLS needs KEYBRAKE_WEBHOOK_SECRET (deliveries are signed)");
    }
    String format = env.getOrDefault("KEYBRAKE_WEBHOOK_FORMAT", "json").trim();
    if (!format.equals("json") && !format.equals("slack")) {
      problems.add("KEYBRAKE_WEBHOOK_FORMAT must be 'json' or 'slack', not '" + format + "'");
    }
    return new OpsSettings(labels, urls, s, format.equals("slack"));
  }

  private static List<String> split(String v) {
    if (v == null || v.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String p : v.split(",")) {
      if (!p.isBlank()) {
        out.add(p.trim());
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "OpsSettings[metricsKeyLabels="
        + metricsKeyLabels
        + ", webhooks="
        + webhookUrls.size()
        + ", secret="
        + (webhookSecret.isPresent() ? "***" : "none")
        + "]";
  }
}
