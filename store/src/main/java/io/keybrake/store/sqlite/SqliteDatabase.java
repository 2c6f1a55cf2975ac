package io.keybrake.store.sqlite;

import io.keybrake.core.key.StoreUnavailableException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * {@code SqliteDatabase} is the embedded store's file, {@code <dataDir>/keybrake.db}: WAL mode,
 * {@code synchronous=NORMAL}, a busy timeout and foreign keys, schema migrated on open. It keeps
 * one writer connection, guarded by a lock because SQLite allows one writer, on which every write
 * runs in a {@code BEGIN IMMEDIATE} transaction, plus a small pool of read connections. WAL
 * checkpoints run on a background thread so that writers do not pay for them. Thread-safe. Failures
 * surface as {@link StoreUnavailableException}.
 */
public final class SqliteDatabase implements Closeable {
  /** The database file's name inside the data directory. */
  public static final String FILE_NAME = "keybrake.db";

  private static final Logger LOG = LoggerFactory.getLogger(SqliteDatabase.class);
  private static final int DEFAULT_READERS = 4;
  private static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  /** The writer checkpoints by itself only if the background checkpointer falls this far behind. */
  private static final int WRITER_AUTOCHECKPOINT_PAGES = 20_000;

  private final Path file;

  /** Most writes one transaction commits (group commit). */
  private static final int MAX_BATCH = 256;

  private final ReentrantLock writeLock = new ReentrantLock();
  private final java.util.concurrent.ConcurrentLinkedQueue<PendingWrite<?>> pending =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final SqlSession writer;
  private final SqlSession checkpointer;
  private final BlockingQueue<SqlSession> readers;
  private final List<SqlSession> allReaders;
  private final ScheduledExecutorService background;
  private volatile boolean closed;

  private SqliteDatabase(
      Path file, SqlSession writer, SqlSession checkpointer, List<SqlSession> readerList) {
    this.file = file;
    this.writer = writer;
    this.checkpointer = checkpointer;
    this.allReaders = List.copyOf(readerList);
    this.readers = new ArrayBlockingQueue<>(readerList.size(), false, readerList);
    this.background =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-sqlite-checkpoint");
              t.setDaemon(true);
              return t;
            });
    // Small, frequent checkpoints: each one's fsync stalls writers for a time that grows with the
    // pages it copies (measured: p99 of a store exchange 7.4 ms at 200 ms, 3.9 ms at 50 ms).
    background.scheduleWithFixedDelay(this::checkpoint, 50, 50, TimeUnit.MILLISECONDS);
  }

  /** Opens (creating if needed) {@code <dataDir>/keybrake.db} and migrates its schema. */
  public static SqliteDatabase open(Path dataDir) {
    return open(dataDir, DEFAULT_READERS, DEFAULT_BUSY_TIMEOUT);
  }

  /**
   * Opens the database with {@code readers} read connections; a write waits at most {@code
   * busyTimeout} for another process holding the file.
   */
  public static SqliteDatabase open(Path dataDir, int readers, Duration busyTimeout) {
    if (readers < 1) {
      throw new IllegalArgumentException("readers must be >= 1");
    }
    Path file = dataDir.resolve(FILE_NAME);
    List<SqlSession> opened = new ArrayList<>();
    try {
      Files.createDirectories(dataDir);
      SqlSession writer = connect(file, busyTimeout, false);
      opened.add(writer);
      int version = SchemaMigrations.migrate(writer);
      SqlSession checkpointer = connect(file, busyTimeout, false);
      opened.add(checkpointer);
      List<SqlSession> readerList = new ArrayList<>();
      for (int i = 0; i < readers; i++) {
        SqlSession r = connect(file, busyTimeout, true);
        opened.add(r);
        readerList.add(r);
      }
      LOG.info("opened {} (schema version {})", file, version);
      return new SqliteDatabase(file, writer, checkpointer, readerList);
    } catch (SQLException | IOException | RuntimeException e) {
      opened.forEach(SqlSession::close);
      throw new StoreUnavailableException(
          "cannot open the embedded store at " + file + ": " + e.getMessage(), e);
    }
  }

  /** The database file. */
  public Path file() {
    return file;
  }

  /**
   * Runs {@code work} on the writer connection inside a {@code BEGIN IMMEDIATE} transaction; it is
   * durable when this returns, rolled back (alone) if it throws. A call made from inside another
   * write joins it.
   *
   * <p>Group commit: writes that arrive while another batch is committing queue up, and the next
   * thread to take the writer runs all of them in one transaction, so one commit serves many
   * callers; if one of them fails, the batch is rolled back and each write runs again alone. Each
   * caller still returns only after the commit that holds its work, and sees only its own work's
   * outcome.
   *
   * @param operation what the work does, for the error message (no secrets)
   */
  public <T> T write(String operation, SqlWork<T> work) {
    if (writeLock.isHeldByCurrentThread()) {
      try {
        return work.run(writer);
      } catch (SQLException e) {
        throw unavailable(operation, e);
      }
    }
    PendingWrite<T> mine = new PendingWrite<>(operation, work);
    pending.add(mine);
    writeLock.lock();
    try {
      if (!mine.done) {
        ensureOpen();
        runBatch();
      }
    } finally {
      writeLock.unlock();
    }
    return mine.outcome();
  }

  /**
   * Runs every queued write (up to a bound) in one transaction. Holds the write lock. Optimistic:
   * the works run back to back; if one throws, the transaction is rolled back and each work of the
   * batch runs again in a transaction of its own, so a failure never touches another caller's work.
   */
  private void runBatch() {
    List<PendingWrite<?>> batch = new ArrayList<>();
    PendingWrite<?> next;
    while (batch.size() < MAX_BATCH && (next = pending.poll()) != null) {
      batch.add(next);
    }
    if (batch.isEmpty()) {
      return;
    }
    if (batch.size() > 1 && runTogether(batch)) {
      return;
    }
    for (PendingWrite<?> w : batch) {
      runTogether(List.of(w));
    }
  }

  /**
   * Runs the works in one transaction; true when it committed. A single work's own failure is its
   * outcome; in a larger batch a failure rolls everything back and returns false (nothing done).
   */
  private boolean runTogether(List<PendingWrite<?>> batch) {
    try {
      writer.execute("BEGIN IMMEDIATE");
    } catch (SQLException e) {
      batch.forEach(w -> w.fail(unavailable(w.operation, e)));
      return true;
    }
    boolean alone = batch.size() == 1;
    for (PendingWrite<?> w : batch) {
      if (!w.run(writer, this) && !alone) {
        rollbackQuietly();
        batch.forEach(PendingWrite::reset);
        return false;
      }
    }
    if (alone && !batch.get(0).succeeded()) {
      rollbackQuietly();
      batch.get(0).finish();
      return true;
    }
    try {
      writer.execute("COMMIT");
      commits.incrementAndGet(); // the checkpointer's cue: something is in the WAL
      batch.forEach(PendingWrite::finish);
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      for (PendingWrite<?> w : batch) {
        w.fail(
            e instanceof SQLException sql
                ? unavailable(w.operation, sql)
                : new StoreUnavailableException(
                    "embedded store could not " + w.operation + ": commit failed", e));
      }
    }
    return true;
  }

  /** One queued write and, once its batch committed or failed, its outcome. */
  private static final class PendingWrite<T> {
    final String operation;
    private final SqlWork<T> work;
    private T result;
    private RuntimeException error;
    private Error fatal;
    volatile boolean done;

    PendingWrite(String operation, SqlWork<T> work) {
      this.operation = operation;
      this.work = work;
    }

    /** Runs the work inside the open transaction; false when it failed. */
    boolean run(SqlSession writer, SqliteDatabase db) {
      try {
        result = work.run(writer);
        return true;
      } catch (SQLException e) {
        error = db.unavailable(operation, e);
      } catch (RuntimeException e) {
        error = e;
      } catch (Error e) {
        fatal = e;
      }
      return false;
    }

    boolean succeeded() {
      return error == null && fatal == null;
    }

    /** Forgets a run whose transaction was rolled back, so it can run again. */
    void reset() {
      result = null;
      error = null;
      fatal = null;
    }

    void finish() {
      done = true;
    }

    void fail(RuntimeException e) {
      result = null;
      error = e;
      fatal = null;
      done = true;
    }

    T outcome() {
      if (fatal != null) {
        throw fatal;
      }
      if (error != null) {
        throw error;
      }
      return result;
    }
  }

  /**
   * Runs {@code work} on a read connection (each statement sees the latest committed state).
   *
   * @param operation what the work does, for the error message (no secrets)
   */
  public <T> T read(String operation, SqlWork<T> work) {
    SqlSession session;
    try {
      do {
        ensureOpen();
        session = readers.poll(100, TimeUnit.MILLISECONDS);
      } while (session == null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while waiting to " + operation);
    }
    try {
      ensureOpen();
      return work.run(session);
    } catch (SQLException e) {
      throw unavailable(operation, e);
    } finally {
      if (closed) {
        session.close();
      } else {
        readers.add(session);
      }
    }
  }

  /** Closes every connection after a final checkpoint. Idempotent. */
  @Override
  public void close() {
    background.shutdownNow();
    try {
      background.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writeLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try (Statement st = writer.connection().createStatement()) {
        st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      } catch (SQLException e) {
        LOG.warn("final checkpoint of {} failed: {}", file, e.getMessage());
      }
      SqlSession r;
      while ((r = readers.poll()) != null) {
        r.close();
      }
      checkpointer.close();
      writer.close();
    } finally {
      writeLock.unlock();
    }
    LOG.info("closed {}", file);
  }

  int readerCount() {
    return allReaders.size();
  }

  /**
   * Transactions the writer committed since the open; starts at 1, so the first run checkpoints
   * whatever the migrations or an earlier process left in the WAL.
   */
  private final java.util.concurrent.atomic.AtomicLong commits =
      new java.util.concurrent.atomic.AtomicLong(1);

  /** The {@link #commits} that the last complete checkpoint covered (checkpointer thread only). */
  private long checkpointedCommits;

  /** Runs of the checkpointer, and the checkpoints they ran (for tests). */
  private final java.util.concurrent.atomic.AtomicLong checkpointerRuns =
      new java.util.concurrent.atomic.AtomicLong();

  private final java.util.concurrent.atomic.AtomicLong checkpointsRun =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Copies the WAL into the database, only when something was committed since the last complete
   * checkpoint: an idle store does not touch its files (each run was a statement, locks and, with
   * frames to copy, an fsync, 20 times a second).
   */
  private void checkpoint() {
    try {
      if (closed) {
        return;
      }
      long seen = commits.get();
      if (seen == checkpointedCommits) {
        return;
      }
      try (Statement st = checkpointer.connection().createStatement();
          java.sql.ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
        checkpointsRun.incrementAndGet();
        // busy, frames in the WAL, frames copied: a reader on an older snapshot can keep frames
        // from being copied, and then the next run tries again
        if (rs.next() && rs.getInt(1) == 0 && rs.getInt(3) >= rs.getInt(2)) {
          checkpointedCommits = seen;
        }
      } catch (SQLException e) {
        LOG.debug("background checkpoint of {} failed: {}", file, e.getMessage());
      }
    } finally {
      checkpointerRuns.incrementAndGet();
    }
  }

  /** How many times the background checkpointer has run (checkpointing or not). */
  long checkpointerRuns() {
    return checkpointerRuns.get();
  }

  /** How many checkpoints the background checkpointer has run. */
  long checkpointsRun() {
    return checkpointsRun.get();
  }

  private void rollbackQuietly() {
    try {
      if (!writer.connection().getAutoCommit()) {
        writer.connection().rollback();
      } else {
        writer.execute("ROLLBACK");
      }
    } catch (SQLException ignored) {
      // SQLite already rolled back (e.g. after SQLITE_FULL) or the connection is gone
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreUnavailableException("the embedded store is closed");
    }
  }

  private StoreUnavailableException unavailable(String operation, SQLException e) {
    return new StoreUnavailableException(
        "embedded store could not " + operation + ": " + e.getMessage(), e);
  }

  private static SqlSession connect(Path file, Duration busyTimeout, boolean queryOnly)
      throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
    config.enforceForeignKeys(true);
    config.setTempStore(SQLiteConfig.TempStore.MEMORY);
    // nothing reads generated keys; without this every INSERT runs a second query for them
    config.setGetGeneratedKeys(false);
    Connection c = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA wal_autocheckpoint=" + WRITER_AUTOCHECKPOINT_PAGES);
      st.execute("PRAGMA journal_size_limit=67108864");
      if (queryOnly) {
        st.execute("PRAGMA query_only=true");
      }
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return new SqlSession(c);
  }
}
