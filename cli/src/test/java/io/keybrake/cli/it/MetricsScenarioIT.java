package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keybrake.cli.ops.OpsArtifacts;
import io.keybrake.cli.ops.PromText;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.testing.MutableClock;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scripted scenario through the real gateway (sends, a retry storm, a +234 refusal, a fleet
 * budget's cap hit, a revocation), then one scrape of {@code /metrics}: every series documented in
 * {@code docs/metrics.md} is there with the values the scenario implies, each with help text, and
 * every series the Grafana dashboard and the alert rules in {@code ops/} use exists in it.
 */
class MetricsScenarioIT {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final String MESSAGES = "messages.create";

  @TempDir static Path dir;
  static Gateway gw;
  static PromText scrape;

  @BeforeAll
  static void runTheScenario() throws Exception {
    gw =
        new Gateway(
            dir,
            new MutableClock(NOW),
            Duration.ZERO,
            new OpsSettings(List.of("team"), List.of(), Optional.empty(), false));
    scrape = scenario(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  /** Runs the scenario and returns the one scrape taken after it. */
  static PromText scenario(Gateway gw) throws Exception {
    HttpResponse<String> budget =
        gw.admin(
            "POST",
            "/budgets",
            "{\"name\":\"support-fleet\",\"selector\":{\"labels\":{\"team\":\"support\"}},"
                + "\"daily_usd_cap\":0.05}");
    assertThat(budget.statusCode()).isEqualTo(201);
    Gateway.Key key =
        gw.createTwilioKey(
            "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"],\"dedup_window_seconds\":60}");
    // two sends
    for (int i = 0; i < 2; i++) {
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "order " + i).statusCode())
          .isEqualTo(201);
    }
    // a retry storm: one original, three retries answered from the dedup cache
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "shipped");
      assertThat(r.statusCode()).isEqualTo(201);
      assertThat(r.headers().firstValue("x-keybrake-dedup").isPresent()).isEqualTo(i > 0);
    }
    // +234 on a US-only key
    assertThat(gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "hi").statusCode()).isEqualTo(403);
    // sends until the fleet budget ($0.05 = 6 messages at $0.0083) refuses
    int sent = 3;
    HttpResponse<String> last;
    while ((last = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "batch " + sent)).statusCode()
        == 201) {
      sent++;
    }
    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(gw.body(last).get("budget").asText()).isEqualTo("support-fleet/daily");
    assertThat(sent).isEqualTo(6);
    // a revocation, then the revoked key tries again
    assertThat(gw.admin("DELETE", "/keys/" + key.id(), null).statusCode()).isEqualTo(200);
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "after").statusCode()).isEqualTo(401);

    // every decision's audit row is written before its answer; wait for the last one anyway
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> scrape(gw).sum("keybrake_decisions_total", Map.of()) >= 12);
    return scrape(gw);
  }

  static PromText scrape(Gateway gw) throws Exception {
    HttpResponse<String> r =
        gw.http.send(
            HttpRequest.newBuilder(gw.uri("/metrics")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
    return PromText.parse(r.body());
  }

  @Test
  void oneScrapeAfterTheScenarioHoldsEveryDocumentedSeriesWithItsValue() throws Exception {
    PromText m = scrape;
    Map<String, String> support =
        Map.of("vendor", "twilio", "endpoint", MESSAGES, "key_team", "support");

    // decisions by vendor / endpoint / decision / reason, with the chosen key label
    assertThat(m.sum("keybrake_decisions_total", with(support, "decision", "allowed")))
        .isEqualTo(6);
    assertThat(m.sum("keybrake_decisions_total", with(support, "decision", "replayed")))
        .isEqualTo(3);
    assertThat(
            m.sum(
                "keybrake_decisions_total",
                with(with(support, "decision", "blocked"), "reason", "destination_not_allowed")))
        .isEqualTo(1);
    assertThat(
            m.sum(
                "keybrake_decisions_total",
                with(with(support, "decision", "blocked"), "reason", "cap_exhausted")))
        .isEqualTo(1);
    assertThat(m.sum("keybrake_decisions_total", Map.of("reason", "key_revoked"))).isEqualTo(1);
    assertThat(m.sum("keybrake_decisions_total", Map.of())).isEqualTo(12);
    assertThat(m.sum("keybrake_dedup_replays_total", Map.of("vendor", "twilio"))).isEqualTo(3);
    assertThat(m.has("keybrake_dedup_inflight_waits_total", Map.of())).isTrue();
    long segment = PriceTable.loadDefault().smsSegmentMicros("US");
    assertThat(m.sum("keybrake_spend_usd_total", Map.of("vendor", "twilio")))
        .isCloseTo(6 * segment / 1e6, org.assertj.core.data.Offset.offset(1e-9));

    // the fleet budget: spend vs cap and the near-limit ratio
    Map<String, String> fleet = Map.of("budget", "support-fleet", "window", "daily");
    assertThat(m.sum("keybrake_budget_cap_usd", fleet)).isEqualTo(0.05);
    assertThat(
            m.sum("keybrake_budget_spent_usd", fleet)
                + m.sum("keybrake_budget_reserved_usd", fleet))
        .isCloseTo(6 * segment / 1e6, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(m.sum("keybrake_budget_usage_ratio", fleet))
        .isCloseTo(6 * segment / 1e6 / 0.05, org.assertj.core.data.Offset.offset(1e-9))
        .isGreaterThan(0.8);

    // latency per phase: every request was identified; six calls went to the vendor and settled
    assertThat(m.sum("keybrake_decision_phase_seconds_count", Map.of("phase", "identify")))
        .isEqualTo(12);
    assertThat(m.sum("keybrake_decision_phase_seconds_count", Map.of("phase", "reserve")))
        .isEqualTo(11);
    assertThat(m.sum("keybrake_decision_phase_seconds_count", Map.of("phase", "forward")))
        .isEqualTo(6);
    assertThat(m.sum("keybrake_decision_phase_seconds_count", Map.of("phase", "settle")))
        .isGreaterThanOrEqualTo(6);
    assertThat(m.has("keybrake_decision_phase_seconds_bucket", Map.of("le", "0.2"))).isTrue();
    // ledger and audit calls: one audit append per decision and one per admin change (the
    // budget, the key, its revocation), none failed
    assertThat(m.sum("keybrake_audit_call_seconds_count", Map.of("operation", "append")))
        .isEqualTo(12 + 3);
    assertThat(m.sum("keybrake_audit_errors_total", Map.of())).isZero();
    // a deduplicated call is admitted by one claim_reserve, any other by one reserve
    assertThat(
            m.sum("keybrake_ledger_call_seconds_count", Map.of("operation", "reserve"))
                + m.sum("keybrake_ledger_call_seconds_count", Map.of("operation", "claim_reserve")))
        .isGreaterThanOrEqualTo(7);
    assertThat(m.sum("keybrake_ledger_errors_total", Map.of())).isZero();
    // the audit log is synchronous with the embedded store
    assertThat(m.sum("keybrake_audit_wal_pending_entries", Map.of())).isZero();
    assertThat(m.sum("keybrake_audit_drain_lag_seconds", Map.of())).isZero();

    // revocation propagation: the key cache and the xDS snapshot, once each
    assertThat(m.sum("keybrake_revocation_propagation_seconds_count", Map.of("stage", "cache")))
        .isEqualTo(1);
    assertThat(m.sum("keybrake_revocation_propagation_seconds_count", Map.of("stage", "xds")))
        .isEqualTo(1);
    // xDS: a push for each key change (created, revoked) at least; no Envoy connected
    assertThat(m.sum("keybrake_xds_pushes_total", Map.of())).isGreaterThanOrEqualTo(2);
    assertThat(m.sum("keybrake_xds_nacks_total", Map.of())).isZero();
    assertThat(m.sum("keybrake_xds_acks_total", Map.of())).isZero();
    assertThat(m.sum("keybrake_xds_store_failures_total", Map.of())).isZero();
    // the price table's age from its as-of date to the injected clock
    long age =
        Duration.between(
                PriceTable.loadDefault().asOf().atStartOfDay(ZoneOffset.UTC).toInstant(), NOW)
            .toSeconds();
    assertThat(m.sum("keybrake_price_table_age_seconds", Map.of("vendor", "twilio")))
        .isEqualTo(age);
    // the ext_proc server and the JVM
    assertThat(m.sum("keybrake_extproc_open_streams", Map.of())).isZero();
    assertThat(m.sum("keybrake_extproc_faults_total", Map.of())).isZero();
    assertThat(m.names())
        .contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_uptime_seconds");

    // help text on every series, and no key id or vault key anywhere
    for (String name : m.names()) {
      assertThat(m.help().get(m.familyOf(name))).as("HELP of " + name).isNotBlank();
    }
    for (PromText.Sample s : m.samples()) {
      assertThat(s.labels().values())
          .as("labels of " + s.name())
          .noneMatch(v -> v.matches("key_[A-Za-z0-9]{12,}") || v.contains("vault_key"));
    }
  }

  private static Map<String, String> with(Map<String, String> m, String k, String v) {
    java.util.Map<String, String> out = new java.util.HashMap<>(m);
    out.put(k, v);
    return out;
  }

  @Test
  void everySeriesTheDashboardAndTheAlertRulesUseIsInTheScrape() throws Exception {
    Set<String> used = new TreeSet<>();
    OpsArtifacts.dashboardExpressions().forEach(e -> used.addAll(OpsArtifacts.metricNames(e)));
    OpsArtifacts.ruleExpressions(OpsArtifacts.yaml(OpsArtifacts.RULES).get("groups"))
        .forEach(e -> used.addAll(OpsArtifacts.metricNames(e)));
    assertThat(used).hasSizeGreaterThan(15);
    assertThat(scrape.names()).containsAll(used);
  }

  @Test
  void everySeriesOfTheMetricsReferenceIsInTheScrape() throws Exception {
    String doc = java.nio.file.Files.readString(OpsArtifacts.ROOT.resolve("docs/metrics.md"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "^\\| `(keybrake_[a-z_]+)`", java.util.regex.Pattern.MULTILINE)
            .matcher(doc);
    Set<String> documented = new TreeSet<>();
    while (m.find()) {
      documented.add(m.group(1));
    }
    assertThat(documented).hasSizeGreaterThan(15);
    for (String name : documented) {
      assertThat(scrape.names())
          .as("documented series " + name)
          .anyMatch(n -> n.equals(name) || n.startsWith(name + "_"));
    }
    for (String name : scrape.names()) {
      if (name.startsWith("keybrake_")) {
        assertThat(documented)
            .as("series " + name + " is documented in docs/metrics.md")
            .anyMatch(d -> name.equals(d) || name.startsWith(d + "_"));
      }
    }
  }
}
