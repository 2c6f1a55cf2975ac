package io.keybrake.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The alert rules in {@code ops/} are valid Prometheus rule files (structure checked here: {@code
 * promtool} is not available in this build), both forms say the same, every alert links to a
 * runbook section, and the dashboard has the panels the on-call needs.
 */
class OpsArtifactsTest {

  @Test
  void plainRuleFileIsAValidPrometheusRuleFile() throws Exception {
    JsonNode rules = OpsArtifacts.yaml(OpsArtifacts.RULES);
    assertThat(OpsArtifacts.ruleProblems(rules, OpsArtifacts.runbookAnchors())).isEmpty();
  }

  @Test
  void prometheusRuleResourceHoldsTheSameGroups() throws Exception {
    JsonNode resource = OpsArtifacts.yaml(OpsArtifacts.PROMETHEUS_RULE);
    assertThat(resource.get("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(resource.get("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(resource.at("/metadata/name").asText()).isNotBlank();
    assertThat(resource.get("spec")).isEqualTo(OpsArtifacts.yaml(OpsArtifacts.RULES));
  }

  @Test
  void everyAlertTheIssueAsksForExists() throws Exception {
    JsonNode rules = OpsArtifacts.yaml(OpsArtifacts.RULES);
    List<String> alerts = rules.findValuesAsText("alert");
    assertThat(alerts)
        .contains(
            "KeybrakeBudgetNearCap",
            "KeybrakeCapHitRate",
            "KeybrakeRetryStorm",
            "KeybrakeLedgerUnavailable",
            "KeybrakeAuditDrainLagging",
            "KeybrakeRevocationPropagationSlow",
            "KeybrakeXdsNacks",
            "KeybrakeDecisionLatencyOverEnvoyTimeout");
    String all = Files.readString(OpsArtifacts.RULES);
    assertThat(all).contains(">= 0.8").contains("> 0.2");
  }

  @Test
  void ruleCheckRefusesBrokenRules() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode bad =
        yaml.readTree(
            """
            groups:
              - name: g
                rules:
                  - alert: NoSeverity
                    expr: sum(rate(x_total[5m]) > 0
                    for: five minutes
                    annotations:
                      runbook_url: docs/runbook.md#no-such-section
                  - alert: NoSeverity
                    expr: up == 0
                    labels: {severity: page}
                    annotations: {summary: s, runbook_url: "http://example.invalid/x"}
                    extra: 1
            """);
    assertThat(OpsArtifacts.ruleProblems(bad, Set.of("cap-hit")))
        .anyMatch(p -> p.contains("unbalanced"))
        .anyMatch(p -> p.contains("'for' is not a duration"))
        .anyMatch(p -> p.contains("severity must be"))
        .anyMatch(p -> p.contains("no summary"))
        .anyMatch(p -> p.contains("no heading #no-such-section"))
        .anyMatch(p -> p.contains("runbook_url must be"))
        .anyMatch(p -> p.contains("repeated"))
        .anyMatch(p -> p.contains("unknown field 'extra'"));
    assertThat(OpsArtifacts.ruleProblems(yaml.readTree("groups: []"), Set.of())).isNotEmpty();
  }

  @Test
  void metricNamesAreReadFromPromQl() {
    assertThat(
            OpsArtifacts.metricNames(
                "histogram_quantile(0.99, sum by (le, phase)"
                    + " (rate(keybrake_decision_phase_seconds_bucket{phase!=\"forward\"}[5m]))) >"
                    + " 0.2 and on(vendor) topk(10, sum by (${key_label}) (foo_total offset 5m))"
                    + " or max(bar) > 90 * 86400"))
        .containsExactly("keybrake_decision_phase_seconds_bucket", "foo_total", "bar");
  }

  @Test
  void dashboardHasThePanelsTheOnCallNeeds() throws Exception {
    JsonNode dash = new ObjectMapper().readTree(Files.readString(OpsArtifacts.DASHBOARD));
    List<String> titles = dash.get("panels").findValuesAsText("title");
    assertThat(titles)
        .contains(
            "Fleet spend vs cap",
            "Near-limit budgets",
            "Refusals by reason",
            "Top keys by refusals",
            "Decision latency p99 by phase",
            "Ledger and audit errors",
            "Audit drain",
            "xDS pushes, ACKs, NACKs");
    assertThat(OpsArtifacts.dashboardExpressions()).allMatch(e -> !e.isBlank());
  }
}
