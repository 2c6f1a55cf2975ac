package io.keybrake.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.store.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDatabaseTest {
  @TempDir Path dir;

  @Test
  void openCreatesTheFileInWalModeWithTheSchemaRecorded() throws Exception {
    Path data = dir.resolve("nested/data");
    try (SqliteDatabase db = SqliteDatabase.open(data)) {
      assertThat(db.file()).isEqualTo(data.resolve("keybrake.db")).exists();
      String mode =
          db.read(
              "read pragmas",
              s -> {
                try (ResultSet rs = s.prepare("PRAGMA journal_mode").executeQuery()) {
                  rs.next();
                  return rs.getString(1);
                }
              });
      assertThat(mode).isEqualTo("wal");
    }
    try (Connection c = Fixtures.raw(data);
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT version, name FROM schema_version ORDER BY version")) {
      for (String file : SchemaMigrations.FILES) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(SchemaMigrations.version(file));
        assertThat(rs.getString(2)).isEqualTo(file);
      }
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void deleteInBatchesDeletesEveryMatchingRowOneTransactionPerBatch() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      execute(db, "CREATE TABLE t (x INTEGER)");
      execute(
          db,
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
              + " INSERT INTO t SELECT i FROM n");
      java.util.concurrent.atomic.AtomicInteger transactions =
          new java.util.concurrent.atomic.AtomicInteger();
      int deleted =
          db.deleteInBatches(
              "purge t",
              1000,
              s -> {
                transactions.incrementAndGet();
                return s.prepare(
                        "DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE x > 100 LIMIT 1000)")
                    .executeUpdate();
              });
      assertThat(deleted).isEqualTo(2400);
      assertThat(transactions).hasValue(3); // 1000, 1000, then 400: a short batch ends it
      long left =
          db.read(
              "count",
              s -> {
                try (java.sql.ResultSet rs = s.prepare("SELECT count(*) FROM t").executeQuery()) {
                  rs.next();
                  return rs.getLong(1);
                }
              });
      assertThat(left).isEqualTo(100);
    }
  }

  @Test
  void theLogIsCheckpointedOnlyOnceEnoughCommitsGathered() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      execute(db, "CREATE TABLE t (x INTEGER)");
      for (int i = 1; i < SqliteDatabase.CHECKPOINT_EVERY_COMMITS - 1; i++) {
        int x = i;
        db.write(
            "insert",
            s -> {
              s.execute("INSERT INTO t VALUES (" + x + ")");
              return null;
            });
      }
      // one commit short: a call at a low rate must not find the log just copied back
      assertThat(db.checkpointIfDue()).isFalse();
      assertThat(db.checkpoints()).isZero();

      db.write(
          "insert",
          s -> {
            s.execute("INSERT INTO t VALUES (0)");
            return null;
          });
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (db.checkpoints() == 0 && System.nanoTime() < deadline) {
        db.checkpointIfDue(); // or the background thread did it
      }
      assertThat(db.checkpoints()).isEqualTo(1);
      assertThat(db.checkpointIfDue()).isFalse(); // nothing committed since
      assertThat(db.checkpoints()).isEqualTo(1);
    }
  }

  @Test
  void underSteadyWritesTheLogStartsOverInsteadOfGrowing() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      execute(db, "CREATE TABLE t (x INTEGER, pad BLOB)");
      Path wal = dir.resolve(SqliteDatabase.FILE_NAME + "-wal");
      // without the writer's own backstop (a checkpoint inside the commit that takes the log past
      // 50,000 frames, starting it over too): what starts the log over here is the background
      // checkpointer alone
      db.write(
          "drop the backstop",
          s -> {
            s.prepare("PRAGMA wal_autocheckpoint=0").executeQuery().close();
            s.execute("INSERT INTO t VALUES (0, NULL)");
            return null;
          });
      long restartsBefore = logRestarts(wal);
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      // a writer that never pauses: every checkpoint runs while it appends to the log
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                while (!stop.get()) {
                  db.write(
                      "insert",
                      s -> {
                        for (int i = 0; i < 8; i++) {
                          s.execute("INSERT INTO t VALUES (1, randomblob(3000))");
                        }
                        return null;
                      });
                }
              });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      // about 170,000 log frames (8 rows of 3,000 bytes a commit, about 10 pages); measured here:
      // 23 starts with the background checkpoint's completing pass, none without it
      while (db.commitCount() < 16_000 && System.nanoTime() < deadline) {
        db.checkpointIfDue(); // and the background thread, every 50 ms
        Thread.sleep(5);
      }
      stop.set(true);
      writer.get(10, TimeUnit.SECONDS);

      assertThat(db.commitCount()).isGreaterThanOrEqualTo(16_000);
      // counted from the log's header, not its size: how far the log grows before each start
      // depends on how long the disk takes to sync the checkpoint's copy
      assertThat(logRestarts(wal) - restartsBefore).isGreaterThanOrEqualTo(2);
    }
  }

  /**
   * The write-ahead log's checkpoint sequence number (header bytes 12-15): SQLite adds one each
   * time a writer starts the log over from its beginning.
   */
  private static long logRestarts(Path wal) throws java.io.IOException {
    try (java.io.DataInputStream in = new java.io.DataInputStream(Files.newInputStream(wal))) {
      in.skipNBytes(12);
      return Integer.toUnsignedLong(in.readInt());
    }
  }

  @Test
  void reopeningDoesNotApplyMigrationsTwice() throws Exception {
    SqliteDatabase.open(dir).close();
    SqliteDatabase.open(dir).close();

    try (Connection c = Fixtures.raw(dir);
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM schema_version")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(SchemaMigrations.FILES.size());
    }
  }

  @Test
  void aNewerSchemaThanThisBuildIsRefused() throws Exception {
    SqliteDatabase.open(dir).close();
    try (Connection c = Fixtures.raw(dir);
        Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO schema_version VALUES (99, 'V99__future.sql', 0)");
    }

    assertThatThrownBy(() -> SqliteDatabase.open(dir))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("newer");
  }

  @Test
  void failedWriteRollsBackEverythingItDid() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      assertThatThrownBy(
              () ->
                  db.write(
                      "test a rollback",
                      s -> {
                        s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c1', 0)");
                        throw new SQLException("boom");
                      }))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessage("embedded store could not test a rollback: boom");

      int rows =
          db.read(
              "count",
              s -> {
                try (ResultSet rs = s.prepare("SELECT COUNT(*) FROM counters").executeQuery()) {
                  rs.next();
                  return rs.getInt(1);
                }
              });
      assertThat(rows).isZero();
    }
  }

  @Test
  void readConnectionsCannotWrite() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      assertThatThrownBy(
              () ->
                  db.read(
                      "sneak a write",
                      s -> {
                        s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c', 0)");
                        return null;
                      }))
          .isInstanceOf(StoreUnavailableException.class);
    }
  }

  @Test
  void aClosedDatabaseFailsClosed() {
    SqliteDatabase db = SqliteDatabase.open(dir);
    db.close();
    db.close();

    assertThatThrownBy(() -> new SqliteLedger(db).openReservations())
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> db.write("write", s -> null))
        .isInstanceOf(StoreUnavailableException.class);
  }

  @Test
  void anUnopenableFileIsAStoreFault() throws Exception {
    Path notADir = Files.writeString(dir.resolve("file"), "x");

    assertThatThrownBy(() -> SqliteDatabase.open(notADir))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("cannot open the embedded store");
  }

  @Test
  void groupCommitKeepsEachCallersOutcomeItsOwn() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      execute(db, "CREATE TABLE scratch (n INTEGER PRIMARY KEY)");
      CountDownLatch release = new CountDownLatch(1);
      // the first write holds the writer, so the next sixteen queue up and commit as one batch
      CompletableFuture<Void> first = holdWriter(db, release);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(16);
      java.util.List<java.util.concurrent.Future<Integer>> writes = new java.util.ArrayList<>();
      for (int i = 0; i < 16; i++) {
        int n = i;
        writes.add(
            pool.submit(
                () ->
                    db.write(
                        "insert " + n,
                        s -> {
                          java.sql.PreparedStatement ps =
                              s.prepare("INSERT INTO scratch (n) VALUES (?)");
                          ps.setInt(1, n);
                          ps.executeUpdate();
                          if (n == 7) {
                            throw new IllegalStateException("caller 7 refuses");
                          }
                          return n;
                        })));
      }
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(5))
          .until(
              () ->
                  pool instanceof java.util.concurrent.ThreadPoolExecutor t
                      && t.getActiveCount() == 16);
      release.countDown();
      first.get(5, TimeUnit.SECONDS);
      for (int i = 0; i < 16; i++) {
        if (i == 7) {
          int failing = i;
          assertThat(
                  org.assertj.core.api.Assertions.catchThrowable(() -> writes.get(failing).get()))
              .hasCauseInstanceOf(IllegalStateException.class)
              .hasMessageContaining("caller 7 refuses");
        } else {
          assertThat(writes.get(i).get()).isEqualTo(i);
        }
      }
      pool.shutdown();
      int rows =
          db.read(
              "count",
              s -> {
                try (java.sql.ResultSet rs =
                    s.prepare("SELECT COUNT(*), SUM(n = 7) FROM scratch").executeQuery()) {
                  rs.next();
                  assertThat(rs.getInt(2)).isZero();
                  return rs.getInt(1);
                }
              });
      assertThat(rows).isEqualTo(15);
    }
  }

  /** Runs one statement in a write of its own. */
  private static void execute(SqliteDatabase db, String sql) {
    db.write(
        "run " + sql,
        s -> {
          s.execute(sql);
          return null;
        });
  }

  private static int counters(SqliteDatabase db) {
    return db.read(
        "count",
        s -> {
          try (ResultSet rs = s.prepare("SELECT COUNT(*) FROM counters").executeQuery()) {
            rs.next();
            return rs.getInt(1);
          }
        });
  }

  /**
   * Holds the writer connection, from a thread of its own, until {@code release} opens; returns
   * once it holds it.
   */
  private static CompletableFuture<Void> holdWriter(SqliteDatabase db, CountDownLatch release)
      throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CompletableFuture<Void> held =
        CompletableFuture.runAsync(
            () ->
                db.write(
                    "hold the writer",
                    s -> {
                      holding.countDown();
                      try {
                        release.await(10, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return null;
                    }));
    assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
    return held;
  }

  @Test
  void aLoneWriteRunsOnItsCallersThreadAndIsCommittedWhenSubmitReturns() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      String caller = Thread.currentThread().getName();
      CompletableFuture<String> write =
          db.submit(
              "insert a counter",
              s -> {
                s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c1', 0)");
                return Thread.currentThread().getName();
              });

      assertThat(write).isDone();
      assertThat(write.get()).isEqualTo(caller);
      assertThat(counters(db)).isEqualTo(1);
    }
  }

  @Test
  void aWriteStartedOnAnEventLoopIsHandedToTheWriterThread() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      java.util.concurrent.atomic.AtomicReference<CompletableFuture<String>> write =
          new java.util.concurrent.atomic.AtomicReference<>();
      io.keybrake.core.admission.Stages.onEventLoop(
          () ->
              write.set(
                  db.submit(
                      "insert a counter",
                      s -> {
                        s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c1', 0)");
                        return Thread.currentThread().getName();
                      })));

      assertThat(write.get().get(5, TimeUnit.SECONDS)).isEqualTo("keybrake-sqlite-writer");
      assertThat(counters(db)).isEqualTo(1);
    }
  }

  @Test
  void aWriteThatFailsOnItsCallersThreadIsRolledBackAndFailsItsStage() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      CompletableFuture<Object> write =
          db.submit(
              "insert then refuse",
              s -> {
                s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c1', 0)");
                throw new IllegalStateException("refused");
              });

      assertThat(org.assertj.core.api.Assertions.catchThrowable(write::get))
          .hasCauseInstanceOf(IllegalStateException.class);
      assertThat(counters(db)).isZero();
      // the writer connection is free again: the next write commits
      db.write(
          "insert a counter",
          s -> {
            s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c2', 0)");
            return null;
          });
      assertThat(counters(db)).isEqualTo(1);
    }
  }

  @Test
  void aSubmittedWriteDoesNotHoldItsCallerAndCompletesOnlyAfterItsCommit() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Void> held = holdWriter(db, release);
      CompletableFuture<Integer> write =
          db.submit(
              "insert a counter",
              s -> {
                s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c1', 0)");
                return 1;
              });

      // the caller got its stage back while the writer is busy: nothing is committed yet
      assertThat(write).isNotDone();
      assertThat(counters(db)).isZero();

      release.countDown();
      assertThat(write.get(5, TimeUnit.SECONDS)).isEqualTo(1);
      held.get(5, TimeUnit.SECONDS);
      assertThat(counters(db)).isEqualTo(1);
    }
  }

  @Test
  void aContinuationOnTheWriterThreadMayWriteAgainAndBothCommit() throws Exception {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      CountDownLatch release = new CountDownLatch(1);
      holdWriter(db, release);
      CompletableFuture<String> chained =
          db.submit(
                  "insert the first counter",
                  s -> {
                    s.execute("INSERT INTO counters (counter_id, window_end) VALUES ('c1', 0)");
                    return null;
                  })
              .thenApply(
                  v -> {
                    db.write(
                        "insert the second counter",
                        s -> {
                          s.execute(
                              "INSERT INTO counters (counter_id, window_end) VALUES ('c2', 0)");
                          return null;
                        });
                    return Thread.currentThread().getName();
                  });
      release.countDown();

      assertThat(chained.get(5, TimeUnit.SECONDS)).isEqualTo("keybrake-sqlite-writer");
      assertThat(counters(db)).isEqualTo(2);
    }
  }

  @Test
  void aWriteQueuedWhenTheDatabaseClosesFailsClosedInsteadOfHanging() throws Exception {
    SqliteDatabase db = SqliteDatabase.open(dir);
    db.close();
    CompletableFuture<Object> late = db.submit("write after close", s -> null);
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> late.get(5, TimeUnit.SECONDS)))
        .hasCauseInstanceOf(StoreUnavailableException.class);
  }
}
