package io.keybrake.store.sqlite;

import static io.keybrake.store.sqlite.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.audit.AuditChain;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteAuditLogTest {
  @TempDir Path dir;
  private SqliteDatabase db;
  private SqliteAuditLog audit;

  @BeforeEach
  void open() {
    db = SqliteDatabase.open(dir);
    audit = new SqliteAuditLog(db);
  }

  @AfterEach
  void close() {
    db.close();
  }

  static AuditEntry allowed(Instant at, String keyId) {
    return new AuditEntry(
        at,
        keyId,
        "agent " + keyId,
        Map.of("team", "growth", "env", "prod"),
        "twilio",
        "POST",
        "/2010-04-01/Accounts/{sid}/Messages.json",
        "+1******4567",
        312,
        7_900,
        8_300L,
        "SM0123",
        "allowed",
        null,
        201,
        120_000,
        1_850,
        "settled",
        "res-" + at.getNano());
  }

  static AuditEntry blocked(Instant at, String keyId) {
    return new AuditEntry(
        at,
        keyId,
        null,
        null,
        "stripe",
        "POST",
        "/v1/refunds",
        null,
        0,
        0,
        null,
        null,
        "blocked",
        "cap_exhausted",
        429,
        5_000_000,
        90,
        "none",
        null);
  }

  @Test
  void unpricedEstimatesAreFoundOldestFirstFromTheCursor() {
    io.keybrake.core.testing.UnpricedEstimatesContract.check(
        audit, Instant.parse("2026-11-22T12:00:00.000000123Z"));
  }

  @Test
  void appendsChainEachRowToThePreviousOne() {
    AuditRecord r1 = audit.append(allowed(T0, "key_a"));
    AuditRecord r2 = audit.append(blocked(T0.plusSeconds(1), "key_b"));

    assertThat(r1.seq()).isEqualTo(1);
    assertThat(r1.prevHash()).isEqualTo(AuditChain.GENESIS);
    assertThat(r1.hash()).isEqualTo(AuditChain.hash(1, AuditChain.GENESIS, r1.entry()));
    assertThat(r2.seq()).isEqualTo(2);
    assertThat(r2.prevHash()).isEqualTo(r1.hash());
    assertThat(audit.verify())
        .isEqualTo(new ChainVerification(2, java.util.OptionalLong.empty(), null));
  }

  @Test
  void rowsRoundTripExactly() {
    AuditRecord a = audit.append(allowed(T0, "key_a"));
    AuditRecord b = audit.append(blocked(T0.plusNanos(1), "key_b"));

    assertThat(
            audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 10)))
        .containsExactly(b, a);
  }

  @Test
  void queryFiltersByKeyAndTimeNewestFirst() {
    for (int i = 0; i < 6; i++) {
      audit.append(allowed(T0.plusSeconds(i), i % 2 == 0 ? "key_a" : "key_b"));
    }

    List<AuditRecord> byKey =
        audit.query(new AuditQuery(Optional.of("key_a"), Optional.empty(), Optional.empty(), 10));
    List<AuditRecord> window =
        audit.query(
            new AuditQuery(
                Optional.empty(),
                Optional.of(T0.plusSeconds(2)),
                Optional.of(T0.plusSeconds(4)),
                10));
    List<AuditRecord> both =
        audit.query(
            new AuditQuery(
                Optional.of("key_b"), Optional.of(T0.plusSeconds(2)), Optional.empty(), 10));
    List<AuditRecord> limited =
        audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 2));

    assertThat(byKey).extracting(AuditRecord::seq).containsExactly(5L, 3L, 1L);
    assertThat(window).extracting(AuditRecord::seq).containsExactly(4L, 3L);
    assertThat(both).extracting(AuditRecord::seq).containsExactly(6L, 4L);
    assertThat(limited).extracting(AuditRecord::seq).containsExactly(6L, 5L);
  }

  @Test
  void sinceAndUntilCompareDownToTheNanosecond() {
    audit.append(allowed(T0, "key_a"));
    audit.append(allowed(T0.plusNanos(1), "key_a"));

    assertThat(
            audit.query(
                new AuditQuery(
                    Optional.empty(), Optional.of(T0.plusNanos(1)), Optional.empty(), 10)))
        .extracting(AuditRecord::seq)
        .containsExactly(2L);
    assertThat(
            audit.query(
                new AuditQuery(
                    Optional.empty(), Optional.empty(), Optional.of(T0.plusNanos(1)), 10)))
        .extracting(AuditRecord::seq)
        .containsExactly(1L);
  }

  @Test
  void theDatabaseRefusesUpdateAndDelete() throws Exception {
    audit.append(allowed(T0, "key_a"));

    try (Connection c = Fixtures.raw(dir);
        Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.executeUpdate("UPDATE audit SET http_status = 200"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("audit log is append-only");
      assertThatThrownBy(() -> st.executeUpdate("DELETE FROM audit"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("audit log is append-only");
    }
    assertThat(audit.verify().ok()).isTrue();
    assertThat(audit.verify().rows()).isEqualTo(1);
  }

  @Test
  void verifyNamesExactlyTheTamperedRow() throws Exception {
    for (int i = 0; i < 5; i++) {
      audit.append(allowed(T0.plusSeconds(i), "key_a"));
    }

    tamper("UPDATE audit SET spent_micros = 1 WHERE seq = 3");

    ChainVerification v = audit.verify();
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBadSeq()).hasValue(3);
    assertThat(v.problem()).contains("hash");
  }

  @Test
  void verifyNamesARowWhoseLinkWasRewritten() throws Exception {
    for (int i = 0; i < 4; i++) {
      audit.append(allowed(T0.plusSeconds(i), "key_a"));
    }

    tamper("UPDATE audit SET prev_hash = '" + "f".repeat(64) + "' WHERE seq = 2");

    assertThat(audit.verify().firstBadSeq()).hasValue(2);
    assertThat(audit.verify().problem()).contains("prev_hash");
  }

  @Test
  void verifyNamesAMissingRow() throws Exception {
    for (int i = 0; i < 4; i++) {
      audit.append(allowed(T0.plusSeconds(i), "key_a"));
    }

    tamper("DELETE FROM audit WHERE seq = 2");

    ChainVerification v = audit.verify();
    assertThat(v.firstBadSeq()).hasValue(2);
    assertThat(v.problem()).contains("missing");
  }

  @Test
  void logSurvivesReopenAndKeepsChaining() {
    AuditRecord a = audit.append(allowed(T0, "key_a"));
    db.close();

    db = SqliteDatabase.open(dir);
    audit = new SqliteAuditLog(db);
    AuditRecord b = audit.append(blocked(T0.plusSeconds(1), "key_a"));

    assertThat(b.seq()).isEqualTo(2);
    assertThat(b.prevHash()).isEqualTo(a.hash());
    assertThat(audit.verify().ok()).isTrue();
    assertThat(audit.verify().rows()).isEqualTo(2);
    assertThat(audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 5)))
        .containsExactly(b, a);
  }

  static AuditEntry capped(Instant at, String keyId, long spent, long cap, String budget) {
    return new AuditEntry(
        at,
        keyId,
        "agent " + keyId,
        Map.of("run", "nightly-42"),
        "stripe",
        "POST",
        "/v1/payment_intents",
        null,
        52,
        200_000,
        null,
        null,
        "blocked",
        "cap_exhausted",
        429,
        spent,
        90,
        "none",
        null,
        cap,
        budget);
  }

  @Test
  void theCapAndBudgetRoundTripBesideRowsThatNameNone() {
    AuditRecord old = audit.append(blocked(T0, "key_a"));
    AuditRecord refused =
        audit.append(capped(T0.plusSeconds(1), "key_a", 900_000, 1_000_000, "key_daily"));
    AuditRecord fleet =
        audit.append(capped(T0.plusSeconds(2), "key_a", 4_000_000, 5_000_000, "eng-fleet"));

    assertThat(
            audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 10)))
        .containsExactly(fleet, refused, old);
    assertThat(refused.entry().capMicros()).isEqualTo(1_000_000L);
    assertThat(fleet.entry().budget()).isEqualTo("eng-fleet");
    assertThat(old.entry().capMicros()).isNull();
    assertThat(audit.verify().ok()).isTrue();
    assertThat(audit.verify().rows()).isEqualTo(3);
  }

  @Test
  void verifyNamesARowWhoseCapOrBudgetWasChanged() throws Exception {
    audit.append(blocked(T0, "key_a"));
    audit.append(capped(T0.plusSeconds(1), "key_a", 900_000, 1_000_000, "key_daily"));
    audit.append(capped(T0.plusSeconds(2), "key_a", 900_000, 1_000_000, "key_daily"));

    tamper("UPDATE audit SET budget = 'eng-fleet' WHERE seq = 3");
    assertThat(audit.verify().firstBadSeq()).hasValue(3);
  }

  @Test
  void verifyNamesAnOlderRowGivenACapItNeverHad() throws Exception {
    audit.append(blocked(T0, "key_a"));
    audit.append(capped(T0.plusSeconds(1), "key_a", 900_000, 1_000_000, "key_daily"));

    tamper("UPDATE audit SET cap_micros = 5000000 WHERE seq = 1");
    assertThat(audit.verify().firstBadSeq()).hasValue(1);
  }

  @Test
  void verifyNamesARowWhoseCapWasRemoved() throws Exception {
    audit.append(blocked(T0, "key_a"));
    audit.append(capped(T0.plusSeconds(1), "key_a", 900_000, 1_000_000, "key_daily"));

    tamper("UPDATE audit SET cap_micros = NULL, budget = NULL WHERE seq = 2");
    assertThat(audit.verify().firstBadSeq()).hasValue(2);
  }

  /**
   * A data directory written by a Keybrake before schema version 5 (rows without cap and budget) is
   * migrated on open; its old rows still verify and new rows chain onto them.
   */
  @Test
  void aVersion4DatabaseMigratesAndItsChainStillVerifies() throws Exception {
    db.close();
    Path older = dir.resolve("older");
    java.nio.file.Files.createDirectories(older);
    AuditEntry first = allowed(T0, "key_a");
    AuditEntry second = blocked(T0.plusSeconds(1), "key_a");
    String h1 = AuditChain.hash(1, AuditChain.GENESIS, first);
    String h2 = AuditChain.hash(2, h1, second);
    try (Connection c = Fixtures.raw(older);
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "CREATE TABLE schema_version ("
              + "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      for (int v = 1; v <= 4; v++) {
        String file = SchemaMigrations.FILES.get(v - 1);
        try (var in = SqliteAuditLogTest.class.getResourceAsStream("/sqlite/" + file)) {
          st.executeUpdate(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        st.executeUpdate("INSERT INTO schema_version VALUES (" + v + ", '" + file + "', 0)");
      }
      // the version 4 INSERT: 23 columns, no cap or budget
      st.executeUpdate(oldInsert(1, first, AuditChain.GENESIS, h1));
      st.executeUpdate(oldInsert(2, second, h1, h2));
    }

    db = SqliteDatabase.open(older);
    audit = new SqliteAuditLog(db);
    AuditRecord third =
        audit.append(capped(T0.plusSeconds(2), "key_a", 900_000, 1_000_000, "key_daily"));

    assertThat(third.prevHash()).isEqualTo(h2);
    assertThat(audit.verify())
        .isEqualTo(new ChainVerification(3, java.util.OptionalLong.empty(), null));
    List<AuditRecord> rows =
        audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 10));
    assertThat(rows).extracting(r -> r.entry().budget()).containsExactly("key_daily", null, null);
    assertThat(rows.get(2).entry()).isEqualTo(first);
  }

  private static String oldInsert(long seq, AuditEntry e, String prev, String hash) {
    return "INSERT INTO audit (seq, at_s, at_n, key_id, key_name, labels, vendor, method,"
        + " endpoint, destination, body_bytes, estimated_micros, actual_micros, vendor_object_id,"
        + " decision, reason, http_status, spent_micros, latency_micros, settlement,"
        + " reservation_id, prev_hash, hash) VALUES ("
        + String.join(
            ", ",
            Long.toString(seq),
            Long.toString(e.at().getEpochSecond()),
            Integer.toString(e.at().getNano()),
            sql(e.keyId()),
            sql(e.keyName()),
            sql(io.keybrake.store.json.JsonColumns.labels(e.labels())),
            sql(e.vendor()),
            sql(e.method()),
            sql(e.endpoint()),
            sql(e.destination()),
            Long.toString(e.bodyBytes()),
            Long.toString(e.estimatedMicros()),
            e.actualMicros() == null ? "NULL" : e.actualMicros().toString(),
            sql(e.vendorObjectId()),
            sql(e.decision()),
            sql(e.reason()),
            Integer.toString(e.httpStatus()),
            Long.toString(e.spentMicros()),
            Long.toString(e.latencyMicros()),
            sql(e.settlement()),
            sql(e.reservationId()),
            sql(prev),
            sql(hash))
        + ")";
  }

  private static String sql(String v) {
    return v == null ? "NULL" : "'" + v.replace("'", "''") + "'";
  }

  private void tamper(String sql) throws SQLException {
    try (Connection c = Fixtures.raw(dir);
        Statement st = c.createStatement()) {
      st.executeUpdate("DROP TRIGGER audit_no_update");
      st.executeUpdate("DROP TRIGGER audit_no_delete");
      st.executeUpdate(sql);
    }
  }
}
