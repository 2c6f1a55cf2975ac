package io.keybrake.store.wal;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.store.postgres.PostgresAuditLog;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code WriteAheadAuditLog} takes audit writes off the request path without losing any: {@link
 * #append} returns once the entry is durable (forced) in a local write-ahead file, and a background
 * drainer sends the entries, in order and in batches, to the real audit log (PostgreSQL), then
 * advances a durable drain checkpoint. Each entry is sent with the id {@code "<instance id>:<local
 * seq>"}; the audit log stores an id once, so a batch resent after a crash or a lost commit adds no
 * duplicate and leaves no gap. Unsent entries survive a restart (sent at the next open) and an
 * outage of PostgreSQL (the drainer retries with backoff while appends go on).
 *
 * <p>The chain position and hashes are given when an entry reaches PostgreSQL, so {@link #append}
 * returns the record with {@code seq} 0 and null hashes; {@link #query} and {@link #verify} read
 * PostgreSQL and see an entry once it has drained ({@link #pending()} counts those that have not).
 *
 * <p>One process at a time owns a write-ahead directory (a file lock refuses a second). Appends
 * from many threads share each force of the file (group commit). An interrupt of an appending
 * thread neither fails its append nor harms later ones: the file is written and forced without
 * interruptible channels, and the thread's interrupt status is left set for its owner. Thread-safe.
 */
public final class WriteAheadAuditLog implements AuditLog, AutoCloseable {
  /** The directory under the data directory that holds the write-ahead file. */
  public static final String DIR = "audit-wal";

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final String instanceId;
  private final WalSegments segments;
  private final AuditLog reader;
  private final WalSettings settings;
  private final WalDrainer drainer;
  private final Object writeLock = new Object();
  private final Object syncLock = new Object();
  private volatile long durable;
  private volatile Throwable broken;
  private boolean closed;

  private WriteAheadAuditLog(
      Path dir,
      FileChannel lockChannel,
      FileLock lock,
      String instanceId,
      WalSegments segments,
      long drained,
      AuditBatchSink sink,
      AuditLog reader,
      WalSettings settings) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.instanceId = instanceId;
    this.segments = segments;
    this.reader = reader;
    this.settings = settings;
    this.durable = segments.lastSeq();
    this.drainer =
        new WalDrainer(
            segments,
            new DrainCheckpoint(dir),
            drained,
            sink,
            instanceId,
            settings,
            () -> this.durable);
  }

  /**
   * Opens (or creates) the write-ahead file in {@code <dataDir>/audit-wal} in front of {@code
   * target}, and starts draining whatever an earlier run left unsent.
   *
   * @throws StoreUnavailableException the directory cannot be used, is locked by another process,
   *     or holds a damaged file
   */
  public static WriteAheadAuditLog open(Path dataDir, PostgresAuditLog target) {
    return open(dataDir.resolve(DIR), target::appendAll, target, WalSettings.DEFAULTS);
  }

  /** As {@link #open(Path, PostgresAuditLog)}, with settings. */
  public static WriteAheadAuditLog open(
      Path dataDir, PostgresAuditLog target, WalSettings settings) {
    return open(dataDir.resolve(DIR), target::appendAll, target, settings);
  }

  /**
   * Opens the write-ahead file in {@code walDir} in front of any sink.
   *
   * @param sink where batches go
   * @param reader answers {@link #query} and {@link #verify}
   */
  public static WriteAheadAuditLog open(
      Path walDir, AuditBatchSink sink, AuditLog reader, WalSettings settings) {
    Objects.requireNonNull(sink);
    Objects.requireNonNull(reader);
    Objects.requireNonNull(settings);
    FileChannel lockChannel = null;
    try {
      Files.createDirectories(walDir);
      lockChannel =
          FileChannel.open(
              walDir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StoreUnavailableException(
            "audit write-ahead directory " + walDir + " is in use by another Keybrake process");
      }
      String instanceId = InstanceId.loadOrCreate(walDir);
      long drained = new DrainCheckpoint(walDir).read();
      WalSegments segments = WalSegments.recover(walDir, drained, settings.segmentBytes());
      WriteAheadAuditLog log =
          new WriteAheadAuditLog(
              walDir, lockChannel, lock, instanceId, segments, drained, sink, reader, settings);
      if (settings.drain()) {
        log.drainer.start();
      }
      return log;
    } catch (IOException | RuntimeException e) {
      if (lockChannel != null) {
        try {
          lockChannel.close();
        } catch (IOException ignored) {
          // the original failure matters
        }
      }
      if (e instanceof StoreUnavailableException s) {
        throw s;
      }
      throw new StoreUnavailableException(
          "cannot open the audit write-ahead file in " + walDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc} Returns once the entry is durable in the local write-ahead file, with {@code seq}
   * 0 and null hashes: the chain position is given when the entry reaches PostgreSQL.
   *
   * @throws StoreUnavailableException the file could not be written or forced (the entry is not
   *     acknowledged; after a failed force the log refuses every later append)
   */
  @Override
  public AuditRecord append(AuditEntry entry) {
    byte[] bytes = WalCodec.entryBytes(entry);
    long seq;
    synchronized (writeLock) {
      failIfUnusable();
      try {
        seq = segments.append(bytes);
      } catch (IOException e) {
        throw new StoreUnavailableException(
            "cannot write the audit write-ahead file: " + e.getMessage(), e);
      }
    }
    sync(seq);
    return new AuditRecord(0, entry, null, null);
  }

  /** Forces the file up to {@code seq}, sharing the force with every append waiting for one. */
  private void sync(long seq) {
    if (durable >= seq) {
      return;
    }
    synchronized (syncLock) {
      if (durable >= seq) {
        return;
      }
      try {
        long target;
        synchronized (writeLock) {
          failIfUnusable();
          target = segments.lastSeq();
        }
        segments.force(); // an interrupted caller still gets its force (WalSegments)
        durable = target;
        synchronized (writeLock) {
          if (segments.full(settings.segmentBytes())) {
            segments.rotate();
            durable = segments.lastSeq();
          }
        }
      } catch (IOException e) {
        broken = e;
        throw new StoreUnavailableException(
            "cannot force the audit write-ahead file: " + e.getMessage(), e);
      }
    }
    drainer.wake();
  }

  private void failIfUnusable() {
    if (closed) {
      throw new StoreUnavailableException("the audit write-ahead log is closed");
    }
    if (broken != null) {
      throw new StoreUnavailableException(
          "the audit write-ahead file failed to force earlier; refusing further appends");
    }
  }

  /** Whether {@link #append} can take entries now (the log is open and its file never failed). */
  public boolean accepting() {
    synchronized (writeLock) {
      return !closed && broken == null;
    }
  }

  /** Entries acknowledged by {@link #append} and not yet stored in the audit log. */
  public long pending() {
    return Math.max(0, durable - drainer.drained());
  }

  /**
   * Waits until every entry acknowledged before this call is stored in the audit log (entries
   * appended meanwhile are not waited for: under steady load {@link #pending()} need never reach
   * 0).
   *
   * @return false if {@code max} passed first
   */
  public boolean awaitDrained(java.time.Duration max) throws InterruptedException {
    return drainer.awaitDrained(durable, max.toNanos());
  }

  /** This writer's id, the first part of each entry id it sends. */
  public String instanceId() {
    return instanceId;
  }

  /** The last error the drainer met sending, while it has not succeeded since. */
  public Optional<String> drainError() {
    return drainer.lastError();
  }

  /** {@inheritDoc} Entries still {@link #pending()} are not seen. */
  @Override
  public List<AuditRecord> query(AuditQuery query) {
    return reader.query(query);
  }

  /** {@inheritDoc} Rows still in the write-ahead file are found once drained. */
  @Override
  public List<AuditRecord> unpricedEstimates(
      String vendor, Instant since, long afterSeq, int limit) {
    return reader.unpricedEstimates(vendor, since, afterSeq, limit);
  }

  /** {@inheritDoc} Entries still {@link #pending()} are not seen. */
  @Override
  public ChainVerification verify() {
    return reader.verify();
  }

  /**
   * Stops accepting appends, drains for up to {@link WalSettings#closeTimeout()} and closes the
   * file; entries still unsent are sent at the next open.
   */
  @Override
  public void close() {
    synchronized (writeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    drainer.stop();
    try {
      synchronized (syncLock) {
        synchronized (writeLock) {
          segments.close();
        }
      }
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot close the audit write-ahead file in " + dir, e);
    } finally {
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException ignored) {
        // the lock goes with the process anyway
      }
    }
  }
}
