package io.keybrake.store.wal;

import static io.keybrake.store.postgres.AuditFixtures.allowed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keybrake.core.audit.ChainVerification;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresDatabase;
import io.keybrake.store.postgres.TestSchema;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteAheadAuditLogIT {
  static final Instant T = Instant.parse("2026-03-01T10:15:30.123456789Z");
  static final Clock CLOCK = Clock.fixed(T, ZoneOffset.UTC);
  static final WalSettings SETTINGS =
      new WalSettings(
          256 * 1024,
          500,
          Duration.ofMillis(50),
          Duration.ofMillis(20),
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          true);

  @TempDir Path dataDir;
  TestSchema schema;
  PostgresDatabase direct;

  @BeforeEach
  void open() throws Exception {
    schema = TestSchema.create();
    direct = PostgresDatabase.open(schema.url());
  }

  @AfterEach
  void close() throws Exception {
    direct.close();
    schema.close();
  }

  @Test
  void postgresUnreachableUnderLoadThenEveryRowArrivesInOrderOnce() throws Exception {
    int threads = 8;
    int perThread = 250;
    // -Dkeybrake.it.outageMillis=30000 keeps PostgreSQL cut (and the appends going) that long
    long outageNanos = Duration.ofMillis(Long.getLong("keybrake.it.outageMillis", 0)).toNanos();
    AtomicLong appended = new AtomicLong();
    try (TcpProxy proxy = new TcpProxy(schema.server());
        PostgresDatabase viaProxy =
            PostgresDatabase.open(
                schema.urlVia(proxy.port()),
                new PostgresDatabase.Settings(4, Duration.ofSeconds(1), Duration.ofSeconds(5)))) {
      PostgresAuditLog target = new PostgresAuditLog(viaProxy, CLOCK);
      try (WriteAheadAuditLog wal = WriteAheadAuditLog.open(dataDir, target, SETTINGS)) {
        for (int i = 0; i < 100; i++) {
          wal.append(allowed("key_before", T, i));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> wal.pending() == 0);
        assertThat(rowCount()).isEqualTo(100);

        proxy.cut();
        ConcurrentHistogram latencies = new ConcurrentHistogram(3);
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
          List<Future<?>> futures = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(
                pool.submit(
                    () -> {
                      for (int i = 0;
                          i < perThread || System.nanoTime() - start < outageNanos;
                          i++) {
                        long s = System.nanoTime();
                        wal.append(allowed("key_t" + thread, T, i));
                        latencies.recordValue(System.nanoTime() - s);
                        appended.incrementAndGet();
                      }
                    }));
          }
          for (Future<?> f : futures) {
            f.get();
          }
        } finally {
          pool.shutdown();
        }
        long appendNanos = System.nanoTime() - start;
        await().atMost(Duration.ofSeconds(20)).until(() -> wal.drainError().isPresent());
        assertThat(appended.get()).isGreaterThanOrEqualTo(threads * perThread);
        assertThat(wal.pending()).isEqualTo(appended.get());
        assertThat(rowCount()).isEqualTo(100);

        long outageEnd = System.nanoTime();
        proxy.restore();
        await().atMost(Duration.ofSeconds(60)).until(() -> wal.pending() == 0);
        long drainNanos = System.nanoTime() - outageEnd;
        assertThat(wal.drainError()).isEmpty();

        System.out.printf(
            "WAL outage figures: %d appends in %d ms while PostgreSQL was cut (%.0f/s),"
                + " append p50 %.2f ms, p99 %.2f ms, max %.2f ms; drained in %d ms after restore%n",
            appended.get(),
            appendNanos / 1_000_000,
            appended.get() / (appendNanos / 1e9),
            latencies.getValueAtPercentile(50) / 1e6,
            latencies.getValueAtPercentile(99) / 1e6,
            latencies.getMaxValue() / 1e6,
            drainNanos / 1_000_000);
      }
    }
    long total = 100 + appended.get();
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(*), count(DISTINCT entry_id), count(DISTINCT seq), min(seq), max(seq)"
                  + " FROM audit")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(total);
        assertThat(rs.getLong(2)).isEqualTo(total);
        assertThat(rs.getLong(3)).isEqualTo(total);
        assertThat(rs.getLong(4)).isEqualTo(1);
        assertThat(rs.getLong(5)).isEqualTo(total);
      }
      // chain order is the write-ahead order: local seqs rise with seq, each thread in its order
      long lastLocal = 0;
      Map<String, Long> lastPerKey = new HashMap<>();
      try (ResultSet rs =
          st.executeQuery("SELECT entry_id, key_id, estimated_micros FROM audit ORDER BY seq")) {
        while (rs.next()) {
          long local = Long.parseLong(rs.getString(1).substring(rs.getString(1).indexOf(':') + 1));
          assertThat(local).isEqualTo(lastLocal + 1);
          lastLocal = local;
          long prev = lastPerKey.getOrDefault(rs.getString(2), -1L);
          assertThat(rs.getLong(3)).isEqualTo(prev + 1);
          lastPerKey.put(rs.getString(2), rs.getLong(3));
        }
      }
    }
    ChainVerification v = new PostgresAuditLog(direct, CLOCK).verify();
    assertThat(v.ok()).as(v.problem()).isTrue();
    assertThat(v.rows()).isEqualTo(total);
  }

  @Test
  void entriesAcknowledgedBeforeAKillMinus9ArriveAfterTheRestart() throws Exception {
    Path walDir = dataDir.resolve(WriteAheadAuditLog.DIR);
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                WalAppendMain.class.getName(),
                walDir.toString(),
                T.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    long acked = -1;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      boolean killed = false;
      // read to the end: lines the child printed before the kill are still in the pipe
      while ((line = out.readLine()) != null) {
        if (line.startsWith("acked ")) {
          acked = Long.parseLong(line.substring(6));
          if (acked >= 1500 && !killed) {
            // SIGKILL, mid-append; the handle does not close our end of the pipe
            child.toHandle().destroyForcibly();
            killed = true;
          }
        }
      }
      child.waitFor();
    } finally {
      child.destroyForcibly();
    }
    assertThat(acked).as("appends the child acknowledged").isGreaterThanOrEqualTo(1500);

    PostgresAuditLog target = new PostgresAuditLog(direct, CLOCK);
    try (WriteAheadAuditLog wal = WriteAheadAuditLog.open(dataDir, target, SETTINGS)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> wal.pending() == 0);
    }
    try (Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT estimated_micros FROM audit WHERE key_id = 'key_crash' ORDER BY seq")) {
      long expected = 0;
      while (rs.next()) {
        assertThat(rs.getLong(1)).isEqualTo(expected);
        expected++;
      }
      System.out.printf(
          "kill -9 figures: the child acknowledged %d appends; %d rows arrived after the restart%n",
          acked + 1, expected);
      // every acknowledged entry arrived, once, in order (the one in flight at the kill may too)
      assertThat(expected - 1).isBetween(acked, acked + 1);
    }
    assertThat(target.verify().ok()).isTrue();
  }

  @Test
  void aBatchWhoseCommitWasNotAcknowledgedIsNotStoredTwice() throws Exception {
    PostgresAuditLog target = new PostgresAuditLog(direct, CLOCK);
    AtomicBoolean lost = new AtomicBoolean(false);
    AuditBatchSink losesOneAcknowledgement =
        batch -> {
          target.appendAll(batch);
          if (lost.compareAndSet(false, true)) {
            throw new IllegalStateException("connection lost after COMMIT was sent (test)");
          }
        };
    try (WriteAheadAuditLog wal =
        WriteAheadAuditLog.open(
            dataDir.resolve(WriteAheadAuditLog.DIR), losesOneAcknowledgement, target, SETTINGS)) {
      for (int i = 0; i < 300; i++) {
        wal.append(allowed("key_lost", T, i));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> wal.pending() == 0);
    }
    assertThat(lost).isTrue();
    assertThat(rowCount()).isEqualTo(300);
    ChainVerification v = target.verify();
    assertThat(v.ok()).isTrue();
    assertThat(v.rows()).isEqualTo(300);
  }

  /**
   * A request thread interrupted again and again while it appends: no append fails, and PostgreSQL
   * ends up with every acknowledged entry once, in write-ahead order, on an intact hash chain.
   */
  @Test
  void anInterruptedAppenderLeavesEveryRowOnAnIntactChain() throws Exception {
    PostgresAuditLog target = new PostgresAuditLog(direct, CLOCK);
    AtomicLong acknowledged = new AtomicLong();
    AtomicLong interruptsSeen = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    AtomicBoolean stop = new AtomicBoolean();
    try (WriteAheadAuditLog wal =
        WriteAheadAuditLog.open(dataDir, target, SETTINGS.withSegmentBytes(8192))) {
      Thread appender =
          new Thread(
              () -> {
                for (long i = 0; !stop.get(); i++) {
                  try {
                    wal.append(allowed("key_interrupted", T, i));
                  } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    return;
                  }
                  acknowledged.set(i + 1);
                  if (Thread.interrupted()) {
                    interruptsSeen.incrementAndGet();
                  }
                }
              });
      appender.start();
      ExecutorService others = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          String key = "key_other" + t;
          futures.add(
              others.submit(
                  () -> {
                    for (int i = 0; i < 100; i++) {
                      wal.append(allowed(key, T, i));
                    }
                  }));
        }
        for (int k = 1; k <= 20 && failure.get() == null; k++) {
          long before = acknowledged.get();
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> acknowledged.get() > before || failure.get() != null);
          appender.interrupt();
          long seen = k;
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> interruptsSeen.get() >= seen || failure.get() != null);
        }
        stop.set(true);
        appender.join(10_000);
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        others.shutdownNow();
      }
      assertThat(failure.get()).isNull();
      await().atMost(Duration.ofSeconds(30)).until(() -> wal.pending() == 0);
    }
    long total = acknowledged.get() + 400;
    try (Connection c = schema.connect();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery("SELECT count(*), count(DISTINCT entry_id), max(seq) FROM audit")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(total);
        assertThat(rs.getLong(2)).isEqualTo(total);
        assertThat(rs.getLong(3)).isEqualTo(total);
      }
      long lastLocal = 0;
      Map<String, Long> lastPerKey = new HashMap<>();
      try (ResultSet rs =
          st.executeQuery("SELECT entry_id, key_id, estimated_micros FROM audit ORDER BY seq")) {
        while (rs.next()) {
          long local = Long.parseLong(rs.getString(1).substring(rs.getString(1).indexOf(':') + 1));
          assertThat(local).isEqualTo(lastLocal + 1);
          lastLocal = local;
          long prev = lastPerKey.getOrDefault(rs.getString(2), -1L);
          assertThat(rs.getLong(3)).isEqualTo(prev + 1);
          lastPerKey.put(rs.getString(2), rs.getLong(3));
        }
      }
      assertThat(lastPerKey).containsEntry("key_interrupted", acknowledged.get() - 1);
    }
    ChainVerification v = target.verify();
    assertThat(v.ok()).as(v.problem()).isTrue();
    assertThat(v.rows()).isEqualTo(total);
  }

  private long rowCount() throws Exception {
    try (Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM audit")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
