package io.keybrake.store.postgres;

import static io.keybrake.store.postgres.AuditFixtures.allowed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.audit.AuditChain;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PostgresAuditLogIT {
  static final Instant DAY1 = Instant.parse("2026-03-01T23:59:59.999999999Z");
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);

  TestSchema schema;
  PostgresDatabase db;
  PostgresAuditLog audit;

  @BeforeEach
  void open() throws Exception {
    schema = TestSchema.create();
    db = PostgresDatabase.open(schema.url());
    audit = new PostgresAuditLog(db, CLOCK);
  }

  @AfterEach
  void close() throws Exception {
    db.close();
    schema.close();
  }

  @Test
  void unpricedEstimatesAreFoundOldestFirstFromTheCursor() {
    io.keybrake.core.testing.UnpricedEstimatesContract.check(audit, DAY1.minusSeconds(120));
  }

  @Test
  void appendsChainFromGenesisAndVerify() {
    List<AuditRecord> records = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      records.add(audit.append(allowed("key_a", DAY1.plusNanos(i), 1_000 + i)));
    }

    assertThat(records).extracting(AuditRecord::seq).startsWith(1L, 2L, 3L).endsWith(20L);
    assertThat(records.get(0).prevHash()).isEqualTo(AuditChain.GENESIS);
    for (int i = 1; i < records.size(); i++) {
      assertThat(records.get(i).prevHash()).isEqualTo(records.get(i - 1).hash());
    }
    ChainVerification v = audit.verify();
    assertThat(v.ok()).isTrue();
    assertThat(v.rows()).isEqualTo(20);
  }

  @Test
  void storedRowsReadBackExactly() {
    AuditEntry entry = allowed("key_exact", DAY1, 123_456);
    AuditRecord appended = audit.append(entry);

    List<AuditRecord> read =
        audit.query(
            new AuditQuery(Optional.of("key_exact"), Optional.empty(), Optional.empty(), 10));

    assertThat(read).containsExactly(appended);
    assertThat(read.get(0).entry().at()).isEqualTo(DAY1);
  }

  @Test
  void updateDeleteAndTruncateAreRefusedByTheDatabase() throws Exception {
    audit.append(allowed("key_a", DAY1, 1_000));
    String partition = AuditPartitions.name(LocalDate.of(2026, 3, 1));
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.executeUpdate("UPDATE audit SET spent_micros = 0"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> st.executeUpdate("DELETE FROM audit"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> st.executeUpdate("DELETE FROM " + partition))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> st.executeUpdate("UPDATE " + partition + " SET hash = 'x'"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> st.execute("TRUNCATE audit"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> st.execute("TRUNCATE " + partition))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> st.executeUpdate("DELETE FROM audit_entry_ids"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("append-only");
      try (ResultSet rs = st.executeQuery("SELECT count(*), max(spent_micros) FROM audit")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);
        assertThat(rs.getLong(2)).isEqualTo(1_000);
      }
    }
    assertThat(audit.verify().ok()).isTrue();
  }

  @Test
  void verifyNamesTheTamperedRow() throws Exception {
    for (int i = 0; i < 10; i++) {
      audit.append(allowed("key_a", DAY1.plusSeconds(i), 1_000));
    }
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      // a superuser can switch triggers off; the chain still tells
      st.execute("SET session_replication_role = replica");
      assertThat(st.executeUpdate("UPDATE audit SET spent_micros = 1 WHERE seq = 7")).isEqualTo(1);
    }

    ChainVerification v = audit.verify();

    assertThat(v.ok()).isFalse();
    assertThat(v.firstBadSeq()).hasValue(7);
    assertThat(v.problem()).contains("hash does not match");
  }

  @Test
  void verifyNamesARowRemovedFromTheEnd() throws Exception {
    for (int i = 0; i < 5; i++) {
      audit.append(allowed("key_a", DAY1, 1_000));
    }
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      st.execute("SET session_replication_role = replica");
      st.executeUpdate("DELETE FROM audit WHERE seq = 5");
    }

    ChainVerification v = audit.verify();

    assertThat(v.firstBadSeq()).hasValue(5);
    assertThat(v.problem()).contains("missing");
  }

  @Test
  void rowsLandInTheirDaysPartitionsCreatedAhead() throws Exception {
    Instant d1 = Instant.parse("2026-03-01T00:00:00Z");
    Instant d2 = Instant.parse("2026-03-05T23:59:59.999999999Z");
    Instant d3 = Instant.parse("2026-04-10T12:00:00Z");
    audit.append(allowed("key_p", d1, 1));
    audit.append(allowed("key_p", d2, 2));
    audit.append(allowed("key_p", d3, 3));

    List<LocalDate> days = audit.partitions().days();
    assertThat(days)
        .contains(LocalDate.of(2026, 3, 1), LocalDate.of(2026, 3, 8), LocalDate.of(2026, 4, 10))
        .contains(LocalDate.of(2026, 4, 17));
    Map<Long, String> partitionOf = new HashMap<>();
    try (Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT estimated_micros, tableoid::regclass::text FROM audit")) {
      while (rs.next()) {
        partitionOf.put(rs.getLong(1), rs.getString(2));
      }
    }
    assertThat(partitionOf)
        .containsEntry(1L, "audit_p20260301")
        .containsEntry(2L, "audit_p20260305")
        .containsEntry(3L, "audit_p20260410");
    assertThat(audit.verify().ok()).isTrue();
  }

  @Test
  void partitionsForTodayAndAWeekAheadExistAtStart() {
    assertThat(audit.partitions().days())
        .containsExactly(
            LocalDate.of(2026, 3, 1),
            LocalDate.of(2026, 3, 2),
            LocalDate.of(2026, 3, 3),
            LocalDate.of(2026, 3, 4),
            LocalDate.of(2026, 3, 5),
            LocalDate.of(2026, 3, 6),
            LocalDate.of(2026, 3, 7),
            LocalDate.of(2026, 3, 8));
  }

  @Test
  void queryFiltersByKeyAndTimeToTheNanosecondNewestFirst() {
    Instant t = Instant.parse("2026-03-02T08:00:00.000000500Z");
    audit.append(allowed("key_q", t.minusNanos(1), 1));
    audit.append(allowed("key_q", t, 2));
    audit.append(allowed("key_other", t, 3));
    audit.append(allowed("key_q", t.plusNanos(1), 4));
    audit.append(allowed("key_q", t.plusSeconds(1), 5));

    List<AuditRecord> rows =
        audit.query(
            new AuditQuery(
                Optional.of("key_q"), Optional.of(t), Optional.of(t.plusSeconds(1)), 100));
    assertThat(rows).extracting(r -> r.entry().estimatedMicros()).containsExactly(4L, 2L);
    assertThat(audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 2)))
        .extracting(AuditRecord::seq)
        .containsExactly(5L, 4L);
  }

  @Test
  void resendingABatchAddsNothing() throws Exception {
    List<UniqueEntry> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(new UniqueEntry("inst:" + i, allowed("key_b", DAY1, i)));
    }
    assertThat(audit.appendAll(batch)).hasSize(10);
    assertThat(audit.appendAll(batch)).isEmpty();
    List<UniqueEntry> overlapping = new ArrayList<>(batch.subList(5, 10));
    overlapping.add(new UniqueEntry("inst:10", allowed("key_b", DAY1, 10)));
    assertThat(audit.appendAll(overlapping)).extracting(AuditRecord::seq).containsExactly(11L);

    try (Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT entry_id) FROM audit")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(11);
      assertThat(rs.getInt(2)).isEqualTo(11);
    }
    assertThat(audit.verify().ok()).isTrue();
  }

  @Test
  void writersOnSeveralPoolsShareOneChainWithoutGaps() throws Exception {
    try (PostgresDatabase db2 = PostgresDatabase.open(schema.url())) {
      PostgresAuditLog other = new PostgresAuditLog(db2, CLOCK);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          PostgresAuditLog log = t % 2 == 0 ? audit : other;
          int thread = t;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 50; i++) {
                      log.append(allowed("key_t" + thread, DAY1, i));
                    }
                  }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
    }
    ChainVerification v = audit.verify();
    assertThat(v.ok()).as(v.problem()).isTrue();
    assertThat(v.rows()).isEqualTo(400);
  }

  @Test
  void aNulCharacterIsStoredAsAReplacementAndStillVerifies() {
    AuditEntry odd =
        new AuditEntry(
            DAY1,
            "key_nul",
            "n",
            Map.of(),
            "twilio",
            "POST",
            "/x\u0000y",
            null,
            0,
            0,
            null,
            null,
            "blocked",
            "endpoint_not_allowed",
            403,
            0,
            5,
            "none",
            null);

    AuditRecord r = audit.append(odd);

    assertThat(r.entry().endpoint()).isEqualTo("/x\uFFFDy");
    assertThat(audit.verify().ok()).isTrue();
  }

  /** A refusal by {@code budget} with {@code spent} of {@code cap} spent. */
  static AuditEntry capExhausted(String keyId, Instant at, long spent, long cap, String budget) {
    return new AuditEntry(
        at,
        keyId,
        "name-" + keyId,
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
  void theCapAndBudgetRoundTripBesideRowsThatNameNoneAndAreCoveredByTheHash() throws Exception {
    AuditRecord old = audit.append(allowed("key_a", DAY1, 1_000));
    AuditRecord daily =
        audit.append(capExhausted("key_a", DAY1.plusNanos(1), 900_000, 1_000_000, "key_daily"));
    AuditRecord fleet =
        audit.append(capExhausted("key_a", DAY1.plusNanos(2), 4_900_000, 5_000_000, "eng-fleet"));

    assertThat(
            audit.query(
                new AuditQuery(Optional.of("key_a"), Optional.empty(), Optional.empty(), 10)))
        .containsExactly(fleet, daily, old);
    assertThat(audit.verify().ok()).isTrue();
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT spent_micros, cap_micros, budget FROM audit_cost WHERE seq = 3")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(4_900_000);
        assertThat(rs.getLong(2)).isEqualTo(5_000_000);
        assertThat(rs.getString(3)).isEqualTo("eng-fleet");
      }
      st.execute("SET session_replication_role = replica");
      assertThat(st.executeUpdate("UPDATE audit SET budget = 'key_daily' WHERE seq = 3"))
          .isEqualTo(1);
    }
    assertThat(audit.verify().firstBadSeq()).hasValue(3);
  }

  @Test
  void verifyNamesAnOlderRowGivenACapItNeverHad() throws Exception {
    audit.append(allowed("key_a", DAY1, 1_000));
    audit.append(capExhausted("key_a", DAY1.plusNanos(1), 900_000, 1_000_000, "key_daily"));
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      st.execute("SET session_replication_role = replica");
      st.executeUpdate("UPDATE audit SET cap_micros = 5000000, budget = 'x' WHERE seq = 1");
    }
    assertThat(audit.verify().firstBadSeq()).hasValue(1);
  }

  /**
   * A fleet database written by a Keybrake before schema version 5 holds rows without cap and
   * budget: opening it migrates the schema (the partitioned table and the {@code audit_cost} view),
   * the old rows still verify and new rows chain onto them.
   */
  @Test
  void aVersion4DatabaseMigratesAndItsChainStillVerifies() throws Exception {
    db.close();
    schema.close();
    schema = TestSchema.create();
    AuditEntry first = allowed("key_a", DAY1.minusSeconds(2), 1_000);
    AuditEntry second = allowed("key_a", DAY1.minusSeconds(1), 2_000);
    String h1 = AuditChain.hash(1, AuditChain.GENESIS, first);
    String h2 = AuditChain.hash(2, h1, second);
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE schema_version (version integer PRIMARY KEY,"
              + " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      for (int v = 1; v <= 4; v++) {
        String file = PostgresMigrations.FILES.get(v - 1);
        try (var in = PostgresAuditLogIT.class.getResourceAsStream("/postgres/" + file)) {
          st.execute(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        st.execute("INSERT INTO schema_version (version, name) VALUES (" + v + ", '" + file + "')");
      }
      st.execute(
          "CREATE TABLE "
              + AuditPartitions.name(LocalDate.of(2026, 3, 1))
              + " PARTITION OF audit FOR VALUES FROM ('2026-03-01T00:00Z') TO ('2026-03-02T00:00Z')");
      oldInsert(c, 1, first, AuditChain.GENESIS, h1);
      oldInsert(c, 2, second, h1, h2);
      st.execute("UPDATE audit_head SET seq = 2, hash = '" + h2 + "' WHERE id = 1");
    }

    db = PostgresDatabase.open(schema.url());
    audit = new PostgresAuditLog(db, CLOCK);
    AuditRecord third = audit.append(capExhausted("key_a", DAY1, 900_000, 1_000_000, "key_daily"));

    assertThat(third.seq()).isEqualTo(3);
    assertThat(third.prevHash()).isEqualTo(h2);
    ChainVerification v = audit.verify();
    assertThat(v.ok()).as(v.problem()).isTrue();
    assertThat(v.rows()).isEqualTo(3);
    assertThat(
            audit.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 10)))
        .extracting(r -> r.entry().capMicros())
        .containsExactly(1_000_000L, null, null);
    try (Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(cap_micros), sum(cost_micros) FROM audit_cost")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(3);
      assertThat(rs.getLong(2)).isEqualTo(1);
      assertThat(rs.getLong(3)).isEqualTo(3_000);
    }
  }

  /** The INSERT of schema version 4: no cap or budget column. */
  private static void oldInsert(Connection c, long seq, AuditEntry e, String prev, String hash)
      throws SQLException {
    try (java.sql.PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO audit (seq, at, at_nano, key_id, key_name, labels, vendor, method,"
                    + " endpoint, destination, body_bytes, estimated_micros, actual_micros,"
                    + " vendor_object_id, decision, reason, http_status, spent_micros,"
                    + " latency_micros, settlement, reservation_id, prev_hash, hash, entry_id)"
                    + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    + " ?, ?, ?, ?)");
        java.sql.PreparedStatement id =
            c.prepareStatement("INSERT INTO audit_entry_ids (entry_id, seq) VALUES (?, ?)")) {
      ps.setLong(1, seq);
      ps.setObject(2, PgInstants.timestamp(e.at()));
      ps.setInt(3, e.at().getNano());
      ps.setString(4, e.keyId());
      ps.setString(5, e.keyName());
      ps.setString(6, io.keybrake.store.json.JsonColumns.labels(e.labels()));
      ps.setString(7, e.vendor());
      ps.setString(8, e.method());
      ps.setString(9, e.endpoint());
      ps.setString(10, e.destination());
      ps.setLong(11, e.bodyBytes());
      ps.setLong(12, e.estimatedMicros());
      ps.setObject(13, e.actualMicros());
      ps.setString(14, e.vendorObjectId());
      ps.setString(15, e.decision());
      ps.setString(16, e.reason());
      ps.setInt(17, e.httpStatus());
      ps.setLong(18, e.spentMicros());
      ps.setLong(19, e.latencyMicros());
      ps.setString(20, e.settlement());
      ps.setString(21, e.reservationId());
      ps.setString(22, prev);
      ps.setString(23, hash);
      ps.setString(24, "old-" + seq);
      ps.executeUpdate();
      id.setString(1, "old-" + seq);
      id.setLong(2, seq);
      id.executeUpdate();
    }
  }
}
