package io.keybrake.store.sqlite;

import io.keybrake.core.admission.Stages;
import io.keybrake.core.store.StoreUnavailableException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * {@code SqliteDatabase} is the embedded store's file, {@code <dataDir>/keybrake.db}: WAL mode,
 * {@code synchronous=NORMAL}, a busy timeout and foreign keys, schema migrated on open. It keeps
 * one writer connection, on which every write runs in a {@code BEGIN IMMEDIATE} transaction, one
 * transaction at a time because SQLite allows one writer: on the caller's own thread when nothing
 * else is writing or waiting to, else on the dedicated writer thread, which commits whatever has
 * queued up in one transaction (group commit: {@link #submit}); plus a small pool of read
 * connections. WAL checkpoints run on a background thread, once enough commits have gathered, so
 * that writers do not pay for them. Thread-safe. Failures surface as {@link
 * StoreUnavailableException}.
 */
public final class SqliteDatabase implements Closeable {
  /** The database file's name inside the data directory. */
  public static final String FILE_NAME = "keybrake.db";

  private static final Logger LOG = LoggerFactory.getLogger(SqliteDatabase.class);
  private static final int DEFAULT_READERS = 4;
  private static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  /**
   * The writer checkpoints by itself only if the background checkpointer falls this far behind (a
   * backstop: the background checkpointer restarts the log long before, {@link
   * #COMPLETE_CHECKPOINT_FRAMES}).
   */
  private static final int WRITER_AUTOCHECKPOINT_PAGES = 50_000;

  /**
   * Commits the write-ahead log gathers before the background checkpointer copies it back. Not a
   * period: a checkpoint that copies every frame makes the next writer start the log over, and
   * SQLite syncs the new log's header to disk (an fsync, milliseconds on common disks) inside that
   * writer's commit. Checkpointing after a fixed time made almost every call at a low rate pay that
   * fsync; after this many commits it is one call in this many, and none while idle.
   */
  static final long CHECKPOINT_EVERY_COMMITS =
      Long.getLong("keybrake.sqlite.checkpointCommits", 128);

  /** And at most one background checkpoint in this many milliseconds (a tuning knob). */
  private static final long CHECKPOINT_MIN_MILLIS =
      Long.getLong("keybrake.sqlite.checkpointMinMillis", 0);

  private final Path file;

  /** Most writes one transaction commits (group commit). */
  private static final int MAX_BATCH = 256;

  /** Tells the writer thread to stop; never run. */
  private static final PendingWrite<Void> STOP = new PendingWrite<>("stop", s -> null);

  private final LinkedBlockingQueue<PendingWrite<?>> queue = new LinkedBlockingQueue<>();
  private final Thread writerThread;

  /**
   * Held by whichever thread runs a transaction on the writer connection: the writer thread for a
   * queued batch, or a caller running its lone write itself.
   */
  private final ReentrantLock writing = new ReentrantLock();

  /** Whether the holder of {@link #writing} is inside a transaction (guarded by it). */
  private boolean inBatch;

  private volatile boolean closing;

  /** Actions of the running batch to run once it committed (guarded by {@link #writing}). */
  private final List<Runnable> afterCommit = new ArrayList<>();

  private final SqlSession writer;
  private final SqlSession checkpointer;
  private final BlockingQueue<SqlSession> readers;
  private final List<SqlSession> allReaders;
  private final ScheduledExecutorService background;
  private volatile boolean closed;

  /**
   * Runs the callers' continuations when other writes are waiting, so that the writer thread goes
   * on committing instead of carrying every call's next steps (measured: at 16 connections through
   * the local gateway three quarters of the writer thread's time went to continuations, and it was
   * half of the process's CPU). When nothing waits, the writer runs the last continuation itself:
   * at a low rate a call costs no extra thread wake-up.
   */
  private final java.util.concurrent.ExecutorService completions =
      Executors.newFixedThreadPool(
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          r -> {
            Thread t = new Thread(r, "keybrake-sqlite-completions");
            t.setDaemon(true);
            return t;
          });

  /** Transactions committed (written by the writer thread only). */
  private volatile long commits;

  /** {@link #commits} when the last background checkpoint ran (guarded by {@code this}). */
  private long commitsAtCheckpoint;

  /**
   * Log frames (pages) from which a background checkpoint finishes its copy while no write runs, so
   * that the log starts over (about 16 MiB of log).
   */
  static final int COMPLETE_CHECKPOINT_FRAMES =
      Integer.getInteger("keybrake.sqlite.completeCheckpointFrames", 4_000);

  /** Background checkpoints run so far. */
  private volatile long checkpoints;

  /** {@link System#nanoTime()} of the last background checkpoint (guarded by {@code this}). */
  private long checkpointedAtNanos = System.nanoTime();

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
    // the one writer: a thread of its own, never interrupted (close() stops it with STOP)
    this.writerThread = new Thread(this::writeLoop, "keybrake-sqlite-writer");
    writerThread.setDaemon(true);
    writerThread.start();
    // Small checkpoints under load: each one's fsync stalls writers for a time that grows with the
    // pages it copies (measured: p99 of a store exchange 7.4 ms at 200 ms, 3.9 ms at 50 ms); looked
    // at every 50 ms, run only once CHECKPOINT_EVERY_COMMITS commits have gathered.
    background.scheduleWithFixedDelay(this::checkpointIfDue, 50, 50, TimeUnit.MILLISECONDS);
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
   * write joins it. Blocks the calling thread: a join on {@link #submit}, so there is still exactly
   * one writer; a data plane's event loop uses {@link #submit} instead.
   *
   * @param operation what the work does, for the error message (no secrets)
   */
  public <T> T write(String operation, SqlWork<T> work) {
    if (insideWrite()) {
      try {
        return work.run(writer);
      } catch (SQLException e) {
        throw unavailable(operation, e);
      }
    }
    if (Thread.currentThread() == writerThread) {
      // a continuation of a committed write, run by the writer thread: a transaction of its own
      PendingWrite<T> mine = new PendingWrite<>(operation, work);
      runBatch(new ArrayList<>(List.of(mine)));
      return Stages.join(mine.future);
    }
    return Stages.join(submit(operation, work));
  }

  /**
   * Pause between two full batches of {@link #deleteInBatches}. Without it a purge after a burst
   * (about 180,000 expired dedup entries) ran its batches back to back, calls' own writes were
   * grouped behind them, and calls at a low rate meanwhile waited 100-450 ms for their reservation
   * (measured: BENCHMARKS.md). With it such a purge takes seconds longer, in the background: with
   * batches of a few milliseconds (the dedup purge's 200 entries) it deletes over 10,000 rows a
   * second, more than the gateway creates on this machine kind.
   */
  static final long DELETE_BATCH_PAUSE_MILLIS = 10;

  /**
   * Runs {@code batch} (a DELETE of at most {@code batchSize} rows that returns how many it
   * deleted) in write transactions of its own until one deletes fewer, pausing between full ones so
   * that calls' writes are not held behind a long purge. Blocks the calling thread (a background
   * job's); returns how many rows were deleted in all.
   */
  public int deleteInBatches(String operation, int batchSize, SqlWork<Integer> batch) {
    int total = 0;
    while (true) {
      int deleted = write(operation, batch);
      total += deleted;
      if (deleted < batchSize) {
        return total;
      }
      try {
        Thread.sleep(DELETE_BATCH_PAUSE_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return total;
      }
    }
  }

  /** Whether the calling thread is inside a transaction on the writer connection. */
  private boolean insideWrite() {
    return writing.isHeldByCurrentThread() && inBatch;
  }

  /**
   * Runs {@code work} in a transaction of its own on the calling thread when nothing else is
   * writing or queued and the thread may block (not an event loop: {@link Stages#onEventLoop}),
   * else queues it for the writer thread and returns at once. The stage completes after the commit
   * that holds the work (already, when it ran here), or fails with the work's own failure ({@link
   * StoreUnavailableException} for the store's), rolled back alone. Continuations run on the thread
   * that committed, after the commit, and must not block.
   *
   * <p>Running a lone write on its caller's thread saves two thread hand-offs per write (measured:
   * context switches per gateway call at one connection fell from 10.6 to 7; a wake-up costs tens
   * of microseconds of CPU and up to a millisecond of latency on a virtual machine), and a lone
   * write never waits for company anyway. Group commit: when writes overlap, the writer thread
   * takes whatever is queued (up to a bound) and runs it in one transaction, so one commit serves
   * many callers. If one work of a batch fails, the batch is rolled back and each work runs again
   * alone, so a failure never touches another caller's work. Called from inside a write, the work
   * joins it.
   *
   * @param operation what the work does, for the error message (no secrets)
   */
  public <T> CompletableFuture<T> submit(String operation, SqlWork<T> work) {
    if (insideWrite()) {
      try {
        return CompletableFuture.completedFuture(work.run(writer));
      } catch (SQLException e) {
        return CompletableFuture.failedFuture(unavailable(operation, e));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    PendingWrite<T> mine = new PendingWrite<>(operation, work);
    if (closing) {
      mine.failNow(closedError());
      return mine.future;
    }
    if (Stages.mayBlock() && queue.isEmpty() && writing.tryLock()) {
      List<Runnable> after = null;
      try {
        if (queue.isEmpty() && !closed) { // still nobody waiting: this write has no group to join
          after = runLocked(List.of(mine));
        }
      } finally {
        writing.unlock();
      }
      if (after != null) {
        runAfterCommit(after);
        mine.finish();
        return mine.future;
      }
    }
    queue.add(mine);
    if (closing && queue.remove(mine)) {
      mine.failNow(closedError()); // close raced this write and will not run it
    }
    return mine.future;
  }

  /**
   * Runs {@code action} once the write running now has committed (or failed), on the writer thread;
   * at once when called outside a write. For wake-ups that must not let anyone see a change before
   * it is durable.
   */
  public void afterCommit(Runnable action) {
    if (insideWrite()) {
      afterCommit.add(action);
    } else {
      action.run();
    }
  }

  /** The writer thread: takes what is queued, one transaction per batch, until closed. */
  private void writeLoop() {
    List<PendingWrite<?>> batch = new ArrayList<>();
    while (true) {
      PendingWrite<?> first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        continue; // nobody interrupts this thread; close() stops it with STOP
      }
      if (first == STOP) {
        return;
      }
      batch.add(first);
      queue.drainTo(batch, MAX_BATCH - 1);
      boolean stop = batch.remove(STOP);
      runBatch(batch);
      batch.clear();
      if (stop) {
        return;
      }
    }
  }

  /**
   * Runs a batch of queued writes in one transaction, on the writer thread. Optimistic: the works
   * run back to back; if one throws, the transaction is rolled back and each work of the batch runs
   * again in a transaction of its own, so a failure never touches another caller's work.
   */
  private void runBatch(List<PendingWrite<?>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    List<Runnable> after;
    writing.lock();
    try {
      after = closed ? null : runLocked(batch);
    } finally {
      writing.unlock();
    }
    if (after == null) {
      batch.forEach(w -> w.failNow(closedError()));
      return;
    }
    // after the commit, outside any transaction: the callers' continuations run from here, or
    // from the completions pool while other writes wait for this thread
    for (int i = 0; i < batch.size(); i++) {
      PendingWrite<?> w = batch.get(i);
      if (i < batch.size() - 1 || !queue.isEmpty()) {
        try {
          completions.execute(() -> finishQuietly(w));
          continue;
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // closing: finish it here
        }
      }
      finishQuietly(w);
    }
    runAfterCommit(after);
  }

  /**
   * Runs the works in one transaction (each alone again if one fails), holding {@link #writing};
   * the actions to run once it is over.
   */
  private List<Runnable> runLocked(List<PendingWrite<?>> batch) {
    inBatch = true;
    try {
      if (batch.size() == 1 || !runTogether(batch)) {
        for (PendingWrite<?> w : batch) {
          runTogether(List.of(w));
        }
      }
    } finally {
      inBatch = false;
    }
    List<Runnable> after = afterCommit.isEmpty() ? List.of() : List.copyOf(afterCommit);
    afterCommit.clear();
    return after;
  }

  private static void runAfterCommit(List<Runnable> after) {
    for (Runnable r : after) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.error("an action after a commit failed", e);
      }
    }
  }

  private static void finishQuietly(PendingWrite<?> w) {
    try {
      w.finish();
    } catch (RuntimeException e) {
      LOG.error("a continuation of a committed write failed", e);
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
      return true;
    }
    try {
      writer.execute("COMMIT");
      commits++; // only the holder of the writing lock writes it
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
    final CompletableFuture<T> future = new CompletableFuture<>();

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

    /** Completes the caller's stage with the work's outcome (after its commit or rollback). */
    void finish() {
      if (fatal != null) {
        future.completeExceptionally(fatal);
      } else if (error != null) {
        future.completeExceptionally(error);
      } else {
        future.complete(result);
      }
    }

    /** Records a failure; {@link #finish} tells the caller. */
    void fail(RuntimeException e) {
      result = null;
      error = e;
      fatal = null;
    }

    /** Fails the caller's stage now (a write that will not run). */
    void failNow(RuntimeException e) {
      fail(e);
      finish();
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

  /**
   * Closes every connection after a final checkpoint, once the writer thread has committed what was
   * queued before; later writes fail as a closed store. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closing) {
      return;
    }
    closing = true;
    background.shutdownNow();
    try {
      background.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    queue.add(STOP);
    boolean stopped = false;
    try {
      writerThread.join(TimeUnit.SECONDS.toMillis(30));
      stopped = !writerThread.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writing.lock(); // waits for a caller's own write that is running now; none starts after
    closed = true;
    writing.unlock();
    completions.shutdown();
    PendingWrite<?> left;
    while ((left = queue.poll()) != null) {
      if (left != STOP) {
        left.failNow(closedError());
      }
    }
    if (!stopped) {
      LOG.warn("the writer of {} did not stop in time; closing its connection anyway", file);
    }
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
    LOG.info("closed {}", file);
  }

  private static StoreUnavailableException closedError() {
    return new StoreUnavailableException("the embedded store is closed");
  }

  int readerCount() {
    return allReaders.size();
  }

  /**
   * Checkpoints the write-ahead log if {@link #CHECKPOINT_EVERY_COMMITS} commits have gathered
   * since the last time; whether it did. Called by the background thread (and tests) only.
   */
  synchronized boolean checkpointIfDue() {
    long now = commits;
    if (closed
        || now - commitsAtCheckpoint < CHECKPOINT_EVERY_COMMITS
        || System.nanoTime() - checkpointedAtNanos < CHECKPOINT_MIN_MILLIS * 1_000_000L) {
      return false;
    }
    commitsAtCheckpoint = now;
    checkpointedAtNanos = System.nanoTime();
    checkpoint();
    checkpoints++;
    return true;
  }

  /** Background checkpoints run so far (tests and diagnostics). */
  long checkpoints() {
    return checkpoints;
  }

  /** Transactions committed so far (tests and diagnostics). */
  long commitCount() {
    return commits;
  }

  private void checkpoint() {
    if (closed) {
      return;
    }
    int logFrames = passiveCheckpoint();
    if (logFrames < 0) {
      return;
    }
    // Under steady writes this pass copies the log as it was when it started while the writer
    // appends more, so the log is never all copied when the writer next begins, never starts over,
    // and grows until the writer's own automatic checkpoint copies it and syncs it all, inside a
    // commit (measured: 30-130 ms commits every few seconds at 16 connections through the local
    // gateway, the whole of its 99th percentile). Instead: sync what this pass copied now, off the
    // write path; and once the log is long enough, copy the few pages the writer added meanwhile
    // while no write runs, so that the checkpoint completes and the next write starts the log over.
    syncDatabaseFile();
    if (logFrames < COMPLETE_CHECKPOINT_FRAMES) {
      return;
    }
    // Every write waits while that last pass runs, and it syncs twice (the log's new frames before
    // copying them, the database file after). One more pass and sync first, without the lock, leave
    // it only what the writer added during them: measured at 16 connections through the local
    // gateway, the writer held p50 2.0 ms and p90 2.8-3.9 ms instead of 3.1 and 4.8-4.9 ms.
    if (passiveCheckpoint() < 0) {
      return;
    }
    syncDatabaseFile();
    writing.lock();
    try {
      if (!closed) {
        passiveCheckpoint();
      }
    } finally {
      writing.unlock();
    }
  }

  /** One passive checkpoint; the frames the log held, or -1 when it failed. */
  private int passiveCheckpoint() {
    try (Statement st = checkpointer.connection().createStatement();
        java.sql.ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      return rs.next() ? rs.getInt(2) : -1;
    } catch (SQLException e) {
      LOG.debug("background checkpoint of {} failed: {}", file, e.getMessage());
      return -1;
    }
  }

  /** Flushes the database file's written pages to disk (fdatasync), on the checkpoint thread. */
  private void syncDatabaseFile() {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
      ch.force(false);
    } catch (IOException | RuntimeException e) {
      LOG.debug("syncing {} failed: {}", file, e.getMessage());
    }
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
