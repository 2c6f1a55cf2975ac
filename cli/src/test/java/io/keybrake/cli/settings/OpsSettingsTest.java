package io.keybrake.cli.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpsSettingsTest {

  @Test
  void defaultsExportNoKeyLabelAndSendNoWebhook() {
    List<String> problems = new ArrayList<>();
    OpsSettings s = OpsSettings.parse(Map.of(), problems);
    assertThat(problems).isEmpty();
    assertThat(s).isEqualTo(OpsSettings.DEFAULTS);
  }

  @Test
  void readsKeyLabelsAndWebhooks() {
    List<String> problems = new ArrayList<>();
    OpsSettings s =
        OpsSettings.parse(
            Map.of(
                "KEYBRAKE_METRICS_KEY_LABELS", "team, env",
                "KEYBRAKE_WEBHOOK_URLS", "https://hooks.example.com/a,http://10.0.0.1:8080/b",
                "KEYBRAKE_WEBHOOK_SECRET", "0123456789abcdef",
                "KEYBRAKE_WEBHOOK_FORMAT", "slack"),
            problems);
    assertThat(problems).isEmpty();
    assertThat(s.metricsKeyLabels()).containsExactly("team", "env");
    assertThat(s.webhookUrls())
        .containsExactly(
            URI.create("https://hooks.example.com/a"), URI.create("http://10.0.0.1:8080/b"));
    assertThat(s.webhookSlack()).isTrue();
    assertThat(s.toString()).doesNotContain("0123456789abcdef").doesNotContain("hooks.example");
  }

  @Test
  void refusesWhatWouldBreakCardinalityOrSigning() {
    List<String> problems = new ArrayList<>();
    OpsSettings.parse(
        Map.of(
            "KEYBRAKE_METRICS_KEY_LABELS", "a,b,c,d,Bad-Label",
            "KEYBRAKE_WEBHOOK_URLS", "ftp://x/y,not a url",
            "KEYBRAKE_WEBHOOK_FORMAT", "xml"),
        problems);
    assertThat(problems)
        .anyMatch(p -> p.contains("at most 3"))
        .anyMatch(p -> p.contains("'Bad-Label' is not a label name"))
        .anyMatch(p -> p.contains("'ftp://x/y' is not an http(s) URL"))
        .anyMatch(p -> p.contains("'not a url' is not a valid URL"))
        .anyMatch(p -> p.contains("KEYBRAKE_WEBHOOK_FORMAT"));
    List<String> unsigned = new ArrayList<>();
    OpsSettings.parse(Map.of("KEYBRAKE_WEBHOOK_URLS", "https://h.example.com/x"), unsigned);
    assertThat(unsigned).anyMatch(p -> p.contains("KEYBRAKE_WEBHOOK_SECRET"));
  }
}
