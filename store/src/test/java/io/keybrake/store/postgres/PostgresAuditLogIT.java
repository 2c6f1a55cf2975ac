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
}
