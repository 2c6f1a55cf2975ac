package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
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

/**
 * An audit row the store refuses is not lost, and nothing is forwarded while a row waits: the audit
 * table is made to refuse inserts (a trigger added from outside, as a full or broken store would),
 * a call that was already forwarded keeps its row in memory, the next call is refused 503 without
 * reaching the vendor, and once the table takes rows again every waiting row is written in order
 * and the chain verifies.
 */
class AuditOutageIT {
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
  void aRefusedAuditRowWaitsAndStopsForwardingUntilItIsWritten() throws Exception {
    Gateway.Key key = gw.createTwilioKey("{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(gw.sendSms(key.vaultKey(), Gateway.US_NUMBER, "one").statusCode()).isEqualTo(201);

    sql(
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

    sql("DROP TRIGGER audit_outage");
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
      assertThat(chain.rows()).isEqualTo(4);
    }
  }

  private void sql(String statement) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keybrake.db"));
        Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 5000");
      s.execute(statement);
    }
  }
}
