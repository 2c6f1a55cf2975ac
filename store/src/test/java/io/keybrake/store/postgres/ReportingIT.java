package io.keybrake.store.postgres;

import static io.keybrake.store.postgres.AuditFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs every query of {@code docs/reporting.md} exactly as printed (psql variables {@code :'name'}
 * bound as parameters) against rows written through {@link PostgresAuditLog}, and checks the
 * numbers.
 */
class ReportingIT {
  static final Path DOC = Path.of("..", "docs", "reporting.md");
  static final Pattern BLOCK = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
  static final Pattern NAME = Pattern.compile("^-- report: (\\w+)", Pattern.MULTILINE);
  static final Pattern VARIABLE = Pattern.compile(":'(\\w+)'");
  static final Map<String, String> GROWTH = Map.of("team", "growth");

  static TestSchema schema;
  static PostgresDatabase db;
  static Map<String, String> queries;

  @BeforeAll
  static void load() throws Exception {
    queries = queries(Files.readString(DOC, StandardCharsets.UTF_8));
    schema = TestSchema.create();
    db = PostgresDatabase.open(schema.url());
    PostgresAuditLog audit =
        new PostgresAuditLog(db, Clock.fixed(at("03-01T00:00:00"), ZoneOffset.UTC));
    Map<String, String> runA = Map.of("team", "growth", "run", "a");
    // key_a: Twilio, growth
    audit.append(
        entry("key_a", runA, "twilio", at("03-01T10:00:00"), 100_000, "allowed", "settled"));
    audit.append(
        entry("key_a", runA, "twilio", at("03-01T11:00:00"), 50_000, "allowed", "estimated"));
    audit.append(entry("key_a", runA, "twilio", at("03-01T12:00:00"), 70_000, "blocked", "none"));
    audit.append(
        entry("key_a", runA, "twilio", at("03-02T09:00:00"), 30_000, "allowed", "released"));
    audit.append(entry("key_a", runA, "twilio", at("03-02T10:00:00"), 0, "replayed", "none"));
    audit.append(reconciliation("key_a", runA, at("03-03T10:00:00"), 50_000, 45_000));
    // key_b: Stripe, growth
    audit.append(
        entry("key_b", GROWTH, "stripe", at("03-01T13:00:00"), 2_000_000, "allowed", "settled"));
    audit.append(
        entry("key_b", GROWTH, "stripe", at("03-02T13:00:00"), 500_000, "allowed", "unsettled"));
    // key_c: Resend, support
    for (int i = 0; i < 3; i++) {
      audit.append(
          entry(
              "key_c",
              Map.of("team", "support"),
              "resend",
              at("03-01T14:00:0" + i),
              1_000,
              "allowed",
              "settled"));
    }
    // key_e: Stripe, ops, last month: refused by its daily cap with $4.90 of $5.00 spent
    audit.append(
        new AuditEntry(
            at("02-27T15:00:00"),
            "key_e",
            "name-key_e",
            Map.of("team", "ops"),
            "stripe",
            "POST",
            "/v1/payment_intents",
            null,
            52,
            620_000,
            null,
            null,
            "blocked",
            "cap_exhausted",
            429,
            4_900_000,
            90,
            "none",
            null,
            5_000_000L,
            "key_daily"));
    // key_d: last month, growth
    audit.append(
        entry("key_d", GROWTH, "twilio", at("02-28T23:59:59"), 999_000, "allowed", "settled"));
    assertThat(audit.verify().ok()).isTrue();
  }

  @AfterAll
  static void close() throws Exception {
    db.close();
    schema.close();
  }

  static Instant at(String monthDayTime) {
    return Instant.parse("2026-" + monthDayTime + "Z");
  }

  static AuditEntry reconciliation(
      String keyId, Map<String, String> labels, Instant at, long estimate, long actual) {
    AuditEntry e = entry(keyId, labels, "twilio", at, estimate, "settled", "settled");
    return new AuditEntry(
        e.at(),
        e.keyId(),
        e.keyName(),
        e.labels(),
        e.vendor(),
        e.method(),
        e.endpoint(),
        e.destination(),
        e.bodyBytes(),
        estimate,
        actual,
        "SMrecon",
        "settled",
        null,
        200,
        0,
        0,
        "settled",
        "res-recon");
  }

  @Test
  void theDocumentHasEveryReport() {
    assertThat(queries)
        .containsOnlyKeys(
            "spend_per_run",
            "fleet_ranking",
            "fleet_by_label",
            "vendor_daily_trend",
            "projected_month",
            "blocked_calls");
  }

  @Test
  void blockedCallsShowTheSpendAndTheCapInEffect() throws Exception {
    List<Map<String, Object>> rows = run("blocked_calls", Map.of("selector", "{}"));

    assertThat(rows).extracting(r -> r.get("key_id")).containsExactly("key_e", "key_a");
    Map<String, Object> capped = rows.get(0);
    assertThat(capped.get("reason")).isEqualTo("cap_exhausted");
    assertThat(capped.get("http_status")).isEqualTo(429L);
    assertThat((BigDecimal) capped.get("attempted_usd")).isEqualByComparingTo("0.62");
    assertThat((BigDecimal) capped.get("spent_usd")).isEqualByComparingTo("4.90");
    assertThat((BigDecimal) capped.get("cap_usd")).isEqualByComparingTo("5.00");
    assertThat(capped.get("budget")).isEqualTo("key_daily");
    // a row that names no cap (written before rows did) reads as NULL
    assertThat(rows.get(1).get("cap_usd")).isNull();
    assertThat(rows.get(1).get("budget")).isNull();
  }

  @Test
  void spendPerRunSumsEachKeysLifetime() throws Exception {
    List<Map<String, Object>> rows =
        run("spend_per_run", Map.of("selector", "{\"team\":\"growth\"}"));

    assertThat(rows).extracting(r -> r.get("key_id")).containsExactly("key_b", "key_d", "key_a");
    Map<String, Object> a = rows.get(2);
    // 100,000 settled + 50,000 estimated - 5,000 reconciled; blocked, released, replayed cost 0
    assertThat(a.get("spend_micros")).isEqualTo(145_000L);
    assertThat(a.get("spend_usd")).isEqualTo(new BigDecimal("0.145000"));
    assertThat(a.get("forwarded")).isEqualTo(3L);
    assertThat(a.get("blocked")).isEqualTo(1L);
    assertThat(a.get("replayed")).isEqualTo(1L);
    assertThat(rows.get(0).get("spend_micros")).isEqualTo(2_500_000L);

    assertThat(run("spend_per_run", Map.of("selector", "{\"run\":\"a\"}")))
        .extracting(r -> r.get("key_id"))
        .containsExactly("key_a");
    assertThat(run("spend_per_run", Map.of("selector", "{}"))).hasSize(5);
  }

  @Test
  void fleetRankingRanksKeysOfTheSelectorOnOneDay() throws Exception {
    List<Map<String, Object>> growth =
        run("fleet_ranking", Map.of("day", "2026-03-01", "selector", "{\"team\":\"growth\"}"));

    assertThat(growth).extracting(r -> r.get("key_id")).containsExactly("key_b", "key_a");
    assertThat(growth).extracting(r -> r.get("spend_micros")).containsExactly(2_000_000L, 150_000L);
    assertThat(growth).extracting(r -> r.get("rank")).containsExactly(1L, 2L);

    assertThat(run("fleet_ranking", Map.of("day", "2026-03-01", "selector", "{}")))
        .extracting(r -> r.get("key_id"))
        .containsExactly("key_b", "key_a", "key_c");
  }

  @Test
  void fleetByLabelGroupsTheDayByALabelsValue() throws Exception {
    List<Map<String, Object>> rows =
        run("fleet_by_label", Map.of("day", "2026-03-01", "label", "team"));

    assertThat(rows).extracting(r -> r.get("label_value")).containsExactly("growth", "support");
    assertThat(rows).extracting(r -> r.get("spend_micros")).containsExactly(2_150_000L, 3_000L);
    assertThat(rows).extracting(r -> r.get("keys")).containsExactly(2L, 1L);
    assertThat(run("fleet_by_label", Map.of("day", "2026-03-01", "label", "run")))
        .extracting(r -> r.get("label_value"))
        .containsExactly("(none)", "a");
  }

  @Test
  void vendorDailyTrendHasEveryDayAndVendor() throws Exception {
    List<Map<String, Object>> rows =
        run("vendor_daily_trend", Map.of("from", "2026-03-01", "to", "2026-03-04"));

    assertThat(rows)
        .extracting(
            r ->
                r.get("day").toString()
                    + " "
                    + r.get("vendor")
                    + " "
                    + r.get("spend_micros")
                    + " "
                    + r.get("forwarded"))
        .containsExactly(
            "2026-03-01 resend 3000 3",
            "2026-03-01 stripe 2000000 1",
            "2026-03-01 twilio 150000 2",
            "2026-03-02 resend 0 0",
            "2026-03-02 stripe 500000 1",
            "2026-03-02 twilio 0 1",
            "2026-03-03 resend 0 0",
            "2026-03-03 stripe 0 0",
            "2026-03-03 twilio -5000 0");
  }

  @Test
  void projectedMonthExtrapolatesMonthToDate() throws Exception {
    // 10 of March's 31 days have passed: the projection is 3.1 times the month to date
    List<Map<String, Object>> rows =
        run("projected_month", Map.of("as_of", "2026-03-11T00:00:00Z"));

    assertThat(rows)
        .extracting(
            r ->
                r.get("vendor")
                    + " "
                    + r.get("month_to_date_micros")
                    + " "
                    + r.get("projected_micros"))
        .containsExactly(
            "resend 3000 9300",
            "stripe 2500000 7750000",
            "twilio 145000 449500",
            "(all) 2648000 8208800");
    assertThat(rows.get(3).get("projected_usd")).isEqualTo(new BigDecimal("8.21"));
  }

  /** Runs a report with psql variables bound as parameters; rows as column name → value. */
  static List<Map<String, Object>> run(String report, Map<String, String> vars) throws Exception {
    String sql = queries.get(report);
    assertThat(sql).as("report " + report + " in " + DOC).isNotNull();
    List<String> order = new ArrayList<>();
    Matcher m = VARIABLE.matcher(sql);
    StringBuilder jdbc = new StringBuilder();
    while (m.find()) {
      order.add(m.group(1));
      m.appendReplacement(jdbc, "?");
    }
    m.appendTail(jdbc);
    List<Map<String, Object>> out = new ArrayList<>();
    try (Connection c = schema.connect();
        PreparedStatement ps = c.prepareStatement(jdbc.toString().trim().replaceAll(";$", ""))) {
      for (int i = 0; i < order.size(); i++) {
        String value = vars.get(order.get(i));
        assertThat(value).as("value of :'" + order.get(i) + "'").isNotNull();
        ps.setString(i + 1, value);
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int col = 1; col <= md.getColumnCount(); col++) {
            Object v = rs.getObject(col);
            row.put(md.getColumnLabel(col), v instanceof Integer i ? (Object) (long) i : v);
          }
          out.add(row);
        }
      }
    }
    return out;
  }

  static Map<String, String> queries(String markdown) {
    Map<String, String> out = new HashMap<>();
    Matcher block = BLOCK.matcher(markdown);
    while (block.find()) {
      Matcher name = NAME.matcher(block.group(1));
      if (name.find()) {
        out.put(name.group(1), block.group(1));
      }
    }
    return out;
  }
}
