package io.keybrake.store.wal;

import io.keybrake.store.postgres.UniqueEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code WalDrainer} is the background thread that moves durable write-ahead entries to the audit
 * log: it reads a batch, sends it, writes the drain checkpoint, deletes drained segments, and on a
 * failure keeps the same batch and retries it after an exponential backoff. A batch is only ever
 * replaced by the next one after it was sent, so entries leave in local-seq order. Thread-safe:
 * {@link #wake}, {@link #stop} and the readers may be called from any thread.
 */
final class WalDrainer {
  private static final Logger LOG = LoggerFactory.getLogger(WalDrainer.class);

  private final WalSegments segments;
  private final DrainCheckpoint checkpoint;
  private final AuditBatchSink sink;
  private final String instanceId;
  private final WalSettings settings;
  private final LongSupplier durable;
  private final WalReader reader;
  private final Thread thread;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();

  /** Signalled each time {@link #drained} advances. */
  private final Condition progress = lock.newCondition();

  private boolean woken;
  private volatile boolean stopping;
  private volatile long drained;
  private volatile String lastError;

  WalDrainer(
      WalSegments segments,
      DrainCheckpoint checkpoint,
      long drained,
      AuditBatchSink sink,
      String instanceId,
      WalSettings settings,
      LongSupplier durable) {
    this.segments = segments;
    this.checkpoint = checkpoint;
    this.drained = drained;
    this.sink = sink;
    this.instanceId = instanceId;
    this.settings = settings;
    this.durable = durable;
    this.reader = new WalReader(segments, drained + 1);
    this.thread = new Thread(this::run, "keybrake-audit-drainer");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  long drained() {
    return drained;
  }

  Optional<String> lastError() {
    return Optional.ofNullable(lastError);
  }

  void wake() {
    lock.lock();
    try {
      woken = true;
      signal.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void advanceDrained(long last) {
    lock.lock();
    try {
      drained = last;
      progress.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until every entry up to {@code target} has been sent, for at most {@code nanos}.
   *
   * @return false if the time ran out first
   */
  boolean awaitDrained(long target, long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      while (drained < target) {
        if (left <= 0) {
          return false;
        }
        left = progress.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Asks the thread to finish (draining for up to the close timeout) and waits for it. */
  void stop() {
    stopping = true;
    wake();
    if (thread.isAlive()) {
      try {
        thread.join(settings.closeTimeout().toMillis() + settings.maxBackoff().toMillis() + 30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      reader.close();
    } catch (IOException ignored) {
      // read-only channel
    }
  }

  private void run() {
    long backoff = settings.minBackoff().toNanos();
    long stopDeadline = Long.MAX_VALUE;
    List<WalRecord> batch = List.of();
    long lastSend = System.nanoTime() - settings.linger().toNanos();
    while (true) {
      if (stopping) {
        if (stopDeadline == Long.MAX_VALUE) {
          stopDeadline = System.nanoTime() + settings.closeTimeout().toNanos();
        }
        if (durable.getAsLong() <= drained || System.nanoTime() - stopDeadline > 0) {
          return;
        }
      }
      try {
        if (batch.isEmpty()) {
          lingerAfter(lastSend);
          batch = reader.read(settings.batchSize(), durable.getAsLong());
          if (batch.isEmpty()) {
            await(Long.MAX_VALUE, true);
            continue;
          }
        }
        sink.send(unique(batch));
        lastSend = System.nanoTime();
        long last = batch.get(batch.size() - 1).localSeq();
        checkpoint.write(last);
        advanceDrained(last);
        batch = List.of();
        deleteDrained(last);
        if (lastError != null) {
          LOG.info("audit log reachable again; draining the write-ahead file");
          lastError = null;
        }
        backoff = settings.minBackoff().toNanos();
      } catch (IOException | RuntimeException e) {
        if (lastError == null) {
          LOG.warn(
              "audit entries wait in the write-ahead file: {} (retrying with backoff)",
              e.toString());
        } else {
          LOG.debug("audit drain attempt failed: {}", e.toString());
        }
        lastError = e.toString();
        await(Math.min(backoff, Math.max(0, stopDeadline - System.nanoTime())), false);
        backoff = Math.min(backoff * 2, settings.maxBackoff().toNanos());
      }
    }
  }

  /**
   * Lets entries gather until {@link WalSettings#linger()} has passed since the last send, unless a
   * full batch is already waiting or the drainer is stopping.
   */
  private void lingerAfter(long lastSend) {
    long left = lastSend + settings.linger().toNanos() - System.nanoTime();
    if (left > 0 && !stopping && durable.getAsLong() - drained < settings.batchSize()) {
      await(left, false);
    }
  }

  private List<UniqueEntry> unique(List<WalRecord> batch) {
    List<UniqueEntry> out = new ArrayList<>(batch.size());
    for (WalRecord r : batch) {
      out.add(new UniqueEntry(instanceId + ":" + r.localSeq(), r.entry()));
    }
    return out;
  }

  private void deleteDrained(long last) throws IOException {
    Long first = segments.segments().firstKey();
    Long next = segments.segments().higherKey(first);
    if (next != null && next - 1 <= last) {
      for (Long seg : segments.segments().headMap(next, false).keySet()) {
        reader.release(seg);
      }
      segments.deleteDrained(last);
    }
  }

  /**
   * Waits for new work ({@code forWork}) or for {@code nanos} to pass (a backoff, which only a stop
   * cuts short).
   */
  private void await(long nanos, boolean forWork) {
    boolean wasStopping = stopping;
    lock.lock();
    try {
      long deadline =
          System.nanoTime() + (forWork ? Math.min(nanos, TimeUnit.SECONDS.toNanos(1)) : nanos);
      while (true) {
        if (forWork ? woken || stopping : stopping && !wasStopping) {
          break;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        signal.awaitNanos(left);
      }
      if (forWork) {
        woken = false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    } finally {
      lock.unlock();
    }
  }
}
