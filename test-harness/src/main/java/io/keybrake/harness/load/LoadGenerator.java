package io.keybrake.harness.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * {@code LoadGenerator} runs one exchange ({@code Callable<Boolean>}: true for success) many times
 * and reports throughput and latency.
 *
 * <ul>
 *   <li>{@link #openLoop(double, Duration)}: exchanges start at a fixed offered rate, on a schedule
 *       that does not wait for earlier ones; latency counts from the intended start (no coordinated
 *       omission). {@link #threads} bounds concurrency (default 64).
 *   <li>{@link #closedLoop(int, Duration)}: {@code workers} threads each run exchanges back to back
 *       (saturation throughput).
 * </ul>
 *
 * Every run is bounded: by {@code duration}, by {@link #maxExchanges} (default unbounded), and by
 * {@link #drainTimeout} (default 10 s) for exchanges still running when the duration ends; those
 * count as failed. Configuration methods return new generators; {@link #run} may be called from any
 * thread. The exchange must be thread-safe. Immutable and thread-safe.
 */
public final class LoadGenerator {
  private final boolean open;
  private final double ratePerSecond;
  private final int threads;
  private final Duration duration;
  private final long maxExchanges;
  private final Duration drainTimeout;

  private LoadGenerator(
      boolean open,
      double ratePerSecond,
      int threads,
      Duration duration,
      long maxExchanges,
      Duration drainTimeout) {
    if (open && !(ratePerSecond > 0)) {
      throw new IllegalArgumentException("rate must be positive");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1");
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("duration must be positive");
    }
    if (maxExchanges < 1) {
      throw new IllegalArgumentException("maxExchanges must be at least 1");
    }
    this.open = open;
    this.ratePerSecond = ratePerSecond;
    this.threads = threads;
    this.duration = Objects.requireNonNull(duration);
    this.maxExchanges = maxExchanges;
    this.drainTimeout = Objects.requireNonNull(drainTimeout);
  }

  /** Offers {@code ratePerSecond} exchanges per second for {@code duration}. */
  public static LoadGenerator openLoop(double ratePerSecond, Duration duration) {
    return new LoadGenerator(
        true, ratePerSecond, 64, duration, Long.MAX_VALUE, Duration.ofSeconds(10));
  }

  /** Runs {@code workers} back-to-back loops for {@code duration}. */
  public static LoadGenerator closedLoop(int workers, Duration duration) {
    return new LoadGenerator(false, 0, workers, duration, Long.MAX_VALUE, Duration.ofSeconds(10));
  }

  /** At most this many concurrent exchanges (open loop) or workers (closed loop). */
  public LoadGenerator threads(int count) {
    return new LoadGenerator(open, ratePerSecond, count, duration, maxExchanges, drainTimeout);
  }

  /** Stops starting exchanges after {@code count} of them. */
  public LoadGenerator maxExchanges(long count) {
    return new LoadGenerator(open, ratePerSecond, threads, duration, count, drainTimeout);
  }

  /** How long to wait for running exchanges once no more are started. */
  public LoadGenerator drainTimeout(Duration timeout) {
    return new LoadGenerator(open, ratePerSecond, threads, duration, maxExchanges, timeout);
  }

  /** Runs the load and blocks until it is over. */
  public LoadReport run(Callable<Boolean> exchange) throws InterruptedException {
    Objects.requireNonNull(exchange, "exchange");
    Tally tally = new Tally();
    ExecutorService pool = Executors.newFixedThreadPool(threads, LoadGenerator::daemon);
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    try {
      long started = open ? offer(exchange, pool, tally, start, end) : 0;
      if (!open) {
        saturate(exchange, pool, tally, end);
      }
      pool.shutdown();
      // a closed loop's workers run until the end of the duration (or the last exchange), then
      // get the drain timeout like an open loop's last exchanges
      long runningFor = open ? 0 : Math.max(0, end - System.nanoTime());
      boolean drained =
          pool.awaitTermination(runningFor + drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
      tally.close(); // before interrupting: late finishers must not count as successes
      if (!drained) {
        pool.shutdownNow();
      }
      long finished = tally.ok.get() + tally.failed.get();
      long begun = open ? started : tally.started.get();
      long unfinished = Math.max(0, begun - finished);
      return tally.report(unfinished, System.nanoTime() - start);
    } finally {
      pool.shutdownNow();
    }
  }

  private long offer(
      Callable<Boolean> exchange, ExecutorService pool, Tally tally, long start, long end) {
    double intervalNanos = 1e9 / ratePerSecond;
    long started = 0;
    while (started < maxExchanges) {
      long intended = start + (long) (started * intervalNanos);
      if (intended >= end) {
        break;
      }
      long wait = intended - System.nanoTime();
      while (wait > 0) {
        LockSupport.parkNanos(wait);
        wait = intended - System.nanoTime();
      }
      pool.execute(() -> tally.time(exchange, intended));
      started++;
    }
    return started;
  }

  private void saturate(Callable<Boolean> exchange, ExecutorService pool, Tally tally, long end) {
    AtomicLong tickets = new AtomicLong();
    List<Runnable> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      workers.add(
          () -> {
            while (System.nanoTime() < end
                && !Thread.currentThread().isInterrupted()
                && tickets.incrementAndGet() <= maxExchanges) {
              tally.time(exchange, System.nanoTime());
            }
          });
    }
    workers.forEach(pool::execute);
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "keybrake-load");
    t.setDaemon(true);
    return t;
  }

  /** Counters and the latency histogram of one run. Thread-safe. */
  private static final class Tally {
    final AtomicLong started = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Histogram micros = new ConcurrentHistogram(3);
    private final ReadWriteLock gate = new ReentrantReadWriteLock();
    private boolean closed;

    /** After this, exchanges that finish late are no longer recorded (they count as failed). */
    void close() {
      gate.writeLock().lock();
      try {
        closed = true;
      } finally {
        gate.writeLock().unlock();
      }
    }

    void time(Callable<Boolean> exchange, long intendedStart) {
      started.incrementAndGet();
      boolean success;
      try {
        success = Boolean.TRUE.equals(exchange.call());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        success = false;
      } catch (Exception e) {
        success = false;
      }
      long latency = Math.max(0, (System.nanoTime() - intendedStart) / 1000);
      gate.readLock().lock();
      try {
        if (!closed) {
          micros.recordValue(latency);
          (success ? ok : failed).incrementAndGet();
        }
      } finally {
        gate.readLock().unlock();
      }
    }

    LoadReport report(long unfinished, long elapsedNanos) {
      long done = ok.get();
      double seconds = elapsedNanos / 1e9;
      boolean empty = micros.getTotalCount() == 0;
      return new LoadReport(
          done,
          failed.get() + unfinished,
          seconds > 0 ? done / seconds : 0,
          empty ? 0 : micros.getValueAtPercentile(50),
          empty ? 0 : micros.getValueAtPercentile(99),
          empty ? 0 : micros.getMaxValue());
    }
  }
}
