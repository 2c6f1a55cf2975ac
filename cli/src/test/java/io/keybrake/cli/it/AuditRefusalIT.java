package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.core.money.Micros;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.StripeSimulator;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresDatabase;
import io.keybrake.store.sqlite.SqliteAuditLog;
import io.keybrake.store.sqlite.SqliteDatabase;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the user's documents promise of a blocked call's audit row: "a 429 status in the audit log,
 * the cumulative spend at the time of the block, and the cap that was in effect" — in the embedded
 * store and in fleet mode (PostgreSQL), for a key's own cap and for a fleet or vendor budget; and
 * the chain still verifies afterwards.
 */
class AuditRefusalIT {
  @TempDir Path dir;

  @Test
  void aCapExhaustedRowRecordsTheSpendAndTheCapOfTheKey() throws Exception {
    try (Gateway gw = new Gateway(dir)) {
      Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":1}");
      assertThat(intent(gw, key, 90).statusCode()).isEqualTo(200);

      HttpResponse<String> refused = intent(gw, key, 20);

      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(gw.body(refused).get("spent_usd").decimalValue()).isEqualByComparingTo("0.90");
      JsonNode row = gw.audit(key.id()).get(0);
      assertThat(row.get("decision").asText()).isEqualTo("blocked");
      assertThat(row.get("reason").asText()).isEqualTo("cap_exhausted");
      assertThat(row.get("http_status").asInt()).isEqualTo(429);
      assertThat(row.get("spent_usd").decimalValue()).isEqualByComparingTo("0.90");
      assertThat(row.get("cap_usd").decimalValue()).isEqualByComparingTo("1.00");
      assertThat(row.get("budget").asText()).isEqualTo("key_daily");
      assertThat(row.get("estimated_usd").decimalValue()).isEqualByComparingTo("0.20");
      // the forwarded call's row: the spend after it, against the same cap
      JsonNode allowed = gw.audit(key.id()).get(1);
      assertThat(allowed.get("decision").asText()).isEqualTo("allowed");
      assertThat(allowed.get("spent_usd").decimalValue()).isEqualByComparingTo("0.90");
      assertThat(allowed.get("cap_usd").decimalValue()).isEqualByComparingTo("1.00");
    }
    assertIntact(verifyEmbedded());
  }

  @Test
  void aVendorBudgetsRefusalNamesThatBudgetAndItsCap() throws Exception {
    try (Gateway gw = new Gateway(dir)) {
      HttpResponse<String> budget =
          gw.admin(
              "POST",
              "/budgets",
              "{\"name\":\"stripe-day\",\"selector\":{\"vendor\":\"stripe\"},"
                  + "\"daily_usd_cap\":0.5}");
      assertThat(budget.statusCode()).as(budget.body()).isEqualTo(201);
      Gateway.Key key = gw.createStripeKey("{\"daily_usd_cap\":100}");
      assertThat(intent(gw, key, 40).statusCode()).isEqualTo(200);

      assertThat(intent(gw, key, 20).statusCode()).isEqualTo(429);

      JsonNode row = gw.audit(key.id()).get(0);
      assertThat(row.get("reason").asText()).isEqualTo("cap_exhausted");
      assertThat(row.get("budget").asText()).isEqualTo("stripe-day/daily");
      assertThat(row.get("spent_usd").decimalValue()).isEqualByComparingTo("0.40");
      assertThat(row.get("cap_usd").decimalValue()).isEqualByComparingTo("0.50");
    }
    assertIntact(verifyEmbedded());
  }

  /**
   * A replay costs nothing: its row records the key's daily spend as it stands when the replay is
   * answered (the original call included) and the key's daily cap; so does any other refusal of a
   * known key.
   */
  @Test
  void replayedAndOtherRefusedRowsRecordTheKeysSpendAsItStands() throws Exception {
    try (Gateway gw = new Gateway(dir)) {
      Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":1,\"allowed_prefixes\":[\"+1\"]}");
      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "same").statusCode()).isEqualTo(201);
      JsonNode sent = gw.audit(key.id()).get(0);
      long spent = Micros.fromUsd(sent.get("spent_usd").decimalValue());
      assertThat(spent).isPositive();

      assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "same").statusCode()).isEqualTo(201);
      assertThat(gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "abroad").statusCode())
          .isEqualTo(403);

      JsonNode rows = gw.audit(key.id());
      JsonNode refused = rows.get(0);
      JsonNode replayed = rows.get(1);
      assertThat(replayed.get("decision").asText()).isEqualTo("replayed");
      assertThat(Micros.fromUsd(replayed.get("spent_usd").decimalValue())).isEqualTo(spent);
      assertThat(replayed.get("cap_usd").decimalValue()).isEqualByComparingTo("1.00");
      assertThat(replayed.get("budget").asText()).isEqualTo("key_daily");
      assertThat(refused.get("reason").asText()).isEqualTo("destination_not_allowed");
      assertThat(Micros.fromUsd(refused.get("spent_usd").decimalValue())).isEqualTo(spent);
      assertThat(refused.get("cap_usd").decimalValue()).isEqualByComparingTo("1.00");
      assertThat(refused.get("budget").asText()).isEqualTo("key_daily");
      assertThat(gw.twilio.received()).hasSize(1);
    }
    assertIntact(verifyEmbedded());
  }

  @Test
  void inFleetModeThePostgresRowRecordsTheSpendAndTheCap() throws Exception {
    try (RedisServer redis = RedisServer.start();
        StripeSimulator stripe = new StripeSimulator(Gateway.STRIPE_KEY);
        FleetFixture fleet = new FleetFixture()) {
      stripe.start();
      KeybrakeApp app =
          fleet.start(dir, redis.uri(), Map.of("stripe", stripe.baseUri()), FleetTuning.DEFAULTS);
      try {
        HttpResponse<String> created =
            fleet.admin(
                app,
                "POST",
                "/keys",
                "{\"name\":\"billing-agent\",\"vendor\":\"stripe\",\"stripe_secret_key\":\""
                    + Gateway.STRIPE_KEY
                    + "\",\"policy\":{\"daily_usd_cap\":1}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode key = fleet.json.readTree(created.body());
        String vault = key.get("vault_key").asText();
        String keyId = key.get("id").asText();
        assertThat(intent(fleet, app, vault, 90).statusCode()).isEqualTo(200);

        assertThat(intent(fleet, app, vault, 20).statusCode()).isEqualTo(429);

        // rows reach PostgreSQL through the write-ahead file: wait for the refusal's
        JsonNode row =
            await()
                .atMost(Duration.ofSeconds(30))
                .until(
                    () -> newest(fleet, app, keyId),
                    r ->
                        r != null
                            && r.has("reason")
                            && "cap_exhausted".equals(r.get("reason").asText()));
        assertThat(row.get("spent_usd").decimalValue()).isEqualByComparingTo("0.90");
        assertThat(row.get("cap_usd").decimalValue()).isEqualByComparingTo("1.00");
        assertThat(row.get("budget").asText()).isEqualTo("key_daily");
        try (Connection c = DriverManager.getConnection(fleet.pgUrl);
            Statement st = c.createStatement();
            ResultSet rs =
                st.executeQuery(
                    "SELECT spent_micros, cap_micros, budget FROM audit_cost WHERE key_id = '"
                        + keyId
                        + "' AND reason = 'cap_exhausted'")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getLong(1)).isEqualTo(900_000);
          assertThat(rs.getLong(2)).isEqualTo(1_000_000);
          assertThat(rs.getString(3)).isEqualTo("key_daily");
        }
      } finally {
        app.close();
      }
      try (PostgresDatabase db = PostgresDatabase.open(fleet.pgUrl)) {
        assertIntact(new PostgresAuditLog(db, Clock.systemUTC()).verify());
      }
    }
  }

  private static HttpResponse<String> intent(Gateway gw, Gateway.Key key, int cents)
      throws Exception {
    return gw.postForm(
        "/stripe/v1/payment_intents",
        Gateway.bearer(key.vaultKey()),
        "amount=" + cents + "&currency=usd");
  }

  private static HttpResponse<String> intent(
      FleetFixture fleet, KeybrakeApp app, String vault, int cents) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.httpPort() + "/stripe/v1/payment_intents"))
            .header("Authorization", Gateway.bearer(vault))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("amount=" + cents + "&currency=usd"))
            .build();
    return fleet.http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  /** The key's newest audit row through {@code GET /audit}, or null. */
  private static JsonNode newest(FleetFixture fleet, KeybrakeApp app, String keyId)
      throws Exception {
    HttpResponse<String> r = fleet.get(app, "/audit?key_id=" + keyId + "&limit=1");
    JsonNode rows = fleet.json.readTree(r.body()).get("rows");
    return rows == null || rows.isEmpty() ? null : rows.get(0);
  }

  /** What {@code keybrake audit verify} checks, on the data directory the gateway left. */
  private ChainVerification verifyEmbedded() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      return new SqliteAuditLog(db).verify();
    }
  }

  private static void assertIntact(ChainVerification v) {
    assertThat(v.ok()).as(v.problem()).isTrue();
    assertThat(v.rows()).isPositive();
  }
}
