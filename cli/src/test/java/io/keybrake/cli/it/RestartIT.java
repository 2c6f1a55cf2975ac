package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Keys, spend, revocations and the audit chain survive a restart; tampering is found; a refused
 * audit row is kept and stops forwarding until it is written.
 */
class RestartIT {
  @TempDir Path dir;
  Gateway gw;

  @BeforeEach
  void start() throws Exception {
    gw = new Gateway(dir);
  }

  @AfterEach
  void stop() throws Exception {
    gw.close();
  }

  @Test
  void keysSpendRevocationsAndAuditChainPersistAcrossRestart() throws Exception {
    Gateway.Key live = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    Gateway.Key revoked = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    assertThat(gw.sendSms(live.vaultKey(), Gateway.US_NUMBER, "one").statusCode()).isEqualTo(201);
    assertThat(gw.sendSms(live.vaultKey(), Gateway.NG_NUMBER, "two").statusCode()).isEqualTo(403);
    assertThat(gw.admin("DELETE", "/keys/" + revoked.id(), null).statusCode()).isEqualTo(200);
    BigDecimal spentBefore = gw.spend(live.id()).get("spent_usd").decimalValue();
    int rowsBefore = gw.audit(live.id()).size();
    assertThat(spentBefore).isPositive();

    gw.restart();

    assertThat(gw.spend(live.id()).get("spent_usd").decimalValue())
        .isEqualByComparingTo(spentBefore);
    assertThat(gw.audit(live.id())).hasSize(rowsBefore);
    HttpResponse<String> again = gw.sendSms(live.vaultKey(), Gateway.US_NUMBER, "three");
    assertThat(again.statusCode()).isEqualTo(201);
    HttpResponse<String> stillRevoked = gw.sendSms(revoked.vaultKey(), Gateway.US_NUMBER, "x");
    assertThat(stillRevoked.statusCode()).isEqualTo(401);
    assertThat(gw.body(stillRevoked).get("keybrake_code").asText()).isEqualTo("key_revoked");
    assertThat(gw.spend(live.id()).get("spent_usd").decimalValue()).isGreaterThan(spentBefore);
    JsonNode rows = gw.audit(live.id());
    for (int i = 0; i + 1 < rows.size(); i++) {
      assertThat(rows.get(i).get("seq").asLong())
          .isGreaterThan(rows.get(i + 1).get("seq").asLong());
    }
    gw.app.close();
    gw.app = null;
    assertThat(auditVerify()).isEqualTo(new Verify(0, true));
  }

  @Test
  void auditVerifyNamesTheFirstTamperedRow() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    for (int i = 0; i < 4; i++) {
      gw.sendSms(key.vaultKey(), Gateway.NG_NUMBER, "blocked " + i);
    }
    long target = gw.audit(key.id()).get(2).get("seq").asLong();
    gw.app.close();
    gw.app = null;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keybrake.db"));
        Statement s = c.createStatement()) {
      boolean refused = false;
      try {
        s.executeUpdate("UPDATE audit SET http_status = 200 WHERE seq = " + target);
      } catch (java.sql.SQLException e) {
        refused = e.getMessage().contains("append-only");
      }
      assertThat(refused).as("the database refuses UPDATE on the audit log").isTrue();
      s.execute("DROP TRIGGER IF EXISTS audit_no_update");
      assertThat(s.executeUpdate("UPDATE audit SET http_status = 200 WHERE seq = " + target))
          .isEqualTo(1);
    }

    Verify v = auditVerify();
    assertThat(v.exitCode()).isEqualTo(1);
    assertThat(v.output()).contains("row " + target);
  }

  @Test
  void reservationsOpenWhenTheProcessDiedAreKeptAndAuditedAsUnsettled() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5}");
    gw.app.close();
    gw.app = null;
    // a crash between reserve and settle leaves the reservation open in the store
    java.time.Instant now = gw.clock.instant();
    try (io.keybrake.store.EmbeddedStore store =
        io.keybrake.store.EmbeddedStore.open(dir, java.util.Optional.empty(), gw.clock)) {
      var limits =
          io.keybrake.core.ledger.KeyBudgets.limitsFor(
              store.keyStore().findById(key.id()).orElseThrow(), now);
      store
          .ledger()
          .reserve(
              new io.keybrake.core.ledger.ReserveRequest(
                  "rsv_crashed", key.id(), limits, 8_300, now));
    }

    gw.start();

    JsonNode rows = gw.audit(key.id());
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("settlement").asText()).isEqualTo("unsettled");
    assertThat(rows.get(0).get("reason").asText()).isEqualTo("process_stopped");
    assertThat(rows.get(0).get("estimated_usd").decimalValue()).isEqualByComparingTo("0.0083");
    assertThat(gw.spend(key.id()).get("reserved_usd").decimalValue())
        .isEqualByComparingTo("0.0083");
    gw.restart();
    assertThat(gw.audit(key.id())).as("recovered once, not on every start").hasSize(1);
  }

  record Verify(int exitCode, boolean intact, String output) {
    Verify(int exitCode, boolean intact) {
      this(exitCode, intact, "");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Verify v && v.exitCode == exitCode && v.intact == intact;
    }

    @Override
    public int hashCode() {
      return exitCode;
    }
  }

  private Verify auditVerify() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new Main()).execute("audit", "verify", "--data-dir", dir.toString());
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    return new Verify(code, out.contains("intact"), out);
  }

  /**
   * An audit row the store refuses is not lost, and nothing is forwarded while a row waits: the
   * audit table is made to refuse inserts (a trigger added from outside, as a full or broken store
   * would), a call that was already forwarded keeps its row in memory, the next call is refused 503
   * without reaching the vendor, and once the table takes rows again every waiting row is written
   * in order and the chain verifies.
   */
  @Test
  void aRefusedAuditRowWaitsAndStopsForwardingUntilItIsWritten() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "one").statusCode()).isEqualTo(201);

    auditTableSql(
        "CREATE TRIGGER audit_outage BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk"
            + " full'); END");
    // forwarded before the outage was known: the vendor acted, the caller gets its answer, the
    // row waits in memory
    HttpResponse<String> two = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "two");
    assertThat(two.statusCode()).isEqualTo(201);
    assertThat(gw.twilio.received()).hasSize(2);

    HttpResponse<String> three = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "three");
    assertThat(three.statusCode()).isEqualTo(503);
    JsonNode refusal = gw.body(three);
    assertThat(refusal.get("keybrake_code").asText()).isEqualTo("ledger_unavailable");
    assertThat(refusal.get("message").asText()).contains("audit log cannot be written");
    assertThat(gw.twilio.received()).hasSize(2);

    auditTableSql("DROP TRIGGER audit_outage");
    HttpResponse<String> four = gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "four");
    assertThat(four.statusCode()).isEqualTo(201);
    assertThat(gw.twilio.received()).hasSize(3);

    JsonNode rows = gw.audit(key.id());
    List<String> oldestFirst = new ArrayList<>();
    for (int i = rows.size() - 1; i >= 0; i--) {
      JsonNode r = rows.get(i);
      oldestFirst.add(r.get("decision").asText() + " " + r.get("http_status").asInt());
    }
    assertThat(oldestFirst)
        .containsExactly("allowed 201", "allowed 201", "blocked 503", "allowed 201");
    gw.app.close();
    gw.app = null;
    try (io.keybrake.store.EmbeddedStore store =
        io.keybrake.store.EmbeddedStore.open(dir, java.util.Optional.empty(), gw.clock)) {
      io.keybrake.core.audit.ChainVerification chain = store.auditLog().verify();
      assertThat(chain.ok()).as(chain.problem()).isTrue();
      // the key's creation and its four decisions
      assertThat(chain.rows()).isEqualTo(5);
    }
  }

  private void auditTableSql(String statement) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keybrake.db"));
        Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 5000");
      s.execute(statement);
    }
  }
}
