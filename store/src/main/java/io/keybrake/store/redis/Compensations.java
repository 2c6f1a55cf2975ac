package io.keybrake.store.redis;

import io.keybrake.core.store.StoreUnavailableException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Compensations} undoes reserves whose answer was lost ({@link AnswerLostException}: the
 * deadline passed or the connection dropped after the command may have reached Redis). The caller
 * refused the call, so it was not forwarded and must hold no budget: each lost reserve is queued
 * and, as soon as Redis answers again, cancelled by {@code cancel.lua} (released if Redis ran it, a
 * mark that makes a late copy take nothing if not, and its dedup claim dropped). Cancelling is
 * idempotent; an attempt that fails stays queued. The queue is bounded ({@link #MAX_PENDING}); past
 * it an entry is dropped with an error and left to the stale-reservation sweep. An entry Redis
 * refuses with an error (it answers, so it is not down) goes to the back of the queue and the
 * others are tried, so one that can never apply does not hold back the rest; refused for {@link
 * #REFUSED_GIVE_UP} on end, it is dropped with an error and left to the sweep. Thread-safe; {@link
 * #close()} stops the drainer.
 */
final class Compensations implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Compensations.class);

  /** Most lost reserves kept waiting for Redis. */
  static final int MAX_PENDING = 100_000;

  private static final long DRAIN_EVERY_MILLIS = 20;

  /** How long an entry Redis keeps refusing with an error is tried before it is dropped. */
  static final java.time.Duration REFUSED_GIVE_UP = java.time.Duration.ofHours(1);

  /**
   * One lost reserve, with the dedup claim it may have taken ({@code fingerprint} null if none).
   */
  record Lost(
      String reservationId,
      String fingerprint,
      String token,
      java.util.function.Supplier<List<Object>> finish) {
    Lost(String reservationId, String fingerprint, String token) {
      this(reservationId, fingerprint, token, null);
    }
  }

  /**
   * A settle or release that could not be applied in time (the ledger was rebuilding after a
   * failover): {@code finish} is run again, like a cancel, until Redis answers other than {@code
   * rebuilding}. It must be idempotent.
   */
  static Lost deferredFinish(
      String reservationId, java.util.function.Supplier<List<Object>> finish) {
    return new Lost(reservationId, null, null, finish);
  }

  private final RedisStore store;
  private final Queue<Waiting> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final ScheduledExecutorService drainer;
  private volatile long retryAtNanos = System.nanoTime();

  private final Runnable rebuildNeeded;

  /**
   * @param rebuildNeeded called when Redis answers that the ledger is rebuilding: the cancel waits
   *     for the rebuild (which keeps what Redis still holds, this reservation included)
   */
  Compensations(RedisStore store, Runnable rebuildNeeded) {
    this.store = store;
    this.rebuildNeeded = rebuildNeeded;
    this.drainer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-ledger-compensations");
              t.setDaemon(true);
              return t;
            });
    drainer.scheduleWithFixedDelay(
        this::drainQuietly, DRAIN_EVERY_MILLIS, DRAIN_EVERY_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Queues a lost reserve for cancelling. */
  void add(Lost lost) {
    if (size.incrementAndGet() > MAX_PENDING) {
      size.decrementAndGet();
      log.error(
          "{} lost reserves already wait for Redis; reservation {} is left to the stale sweep",
          MAX_PENDING,
          lost.reservationId());
      return;
    }
    pending.add(new Waiting(lost, NOT_REFUSED));
  }

  /**
   * A queued entry; {@code refusedSince} the nanoTime of its first refusal in a row, {@link
   * #NOT_REFUSED} if none.
   */
  private record Waiting(Lost lost, long refusedSince) {}

  private static final long NOT_REFUSED = Long.MIN_VALUE;

  /** Lost reserves not yet cancelled. */
  int pending() {
    return size.get();
  }

  /**
   * Tries each queued entry once, oldest first, stopping at the first that Redis does not answer;
   * one Redis refuses goes to the back.
   *
   * @return how many were applied
   */
  int drain() {
    int done = 0;
    for (int left = size.get(); left > 0; left--) {
      Waiting next = pending.peek();
      if (next == null) {
        break;
      }
      try {
        cancel(next.lost());
      } catch (StoreUnavailableException e) {
        if (!(e instanceof RefusedException)) {
          return done; // still unreachable: keep it, and the rest, for the next round
        }
        pending.remove(next);
        long now = System.nanoTime();
        long since = next.refusedSince() == NOT_REFUSED ? now : next.refusedSince();
        if (now - since > REFUSED_GIVE_UP.toNanos()) {
          size.decrementAndGet();
          log.error(
              "reservation {}: Redis refused its compensation for {} ({}); left to the stale sweep",
              next.lost().reservationId(),
              REFUSED_GIVE_UP,
              e.getMessage());
        } else {
          if (next.refusedSince() == NOT_REFUSED) {
            log.warn(
                "reservation {}: Redis refused its compensation ({}); tried again after the others",
                next.lost().reservationId(),
                e.getMessage());
          }
          pending.add(new Waiting(next.lost(), since)); // the others are tried meanwhile
        }
        continue;
      }
      pending.remove(next);
      size.decrementAndGet();
      done++;
    }
    return done;
  }

  /**
   * Drains when there is work; after an attempt Redis did not answer, waits one breaker cool-down
   * before the next, so a silent Redis is not asked every few milliseconds.
   */
  private void drainQuietly() {
    if (size.get() == 0 || System.nanoTime() - retryAtNanos < 0) {
      return;
    }
    try {
      int n = drain();
      if (size.get() > 0) {
        retryAtNanos = System.nanoTime() + store.settings().breakerCoolDown().toNanos();
      }
      if (n > 0) {
        log.info("released {} reservation(s) whose reserve answer was lost", n);
      }
    } catch (RuntimeException e) {
      log.warn("cancelling lost reserves failed: {}", e.getMessage());
    }
  }

  private void cancel(Lost lost) {
    RedisSettings s = store.settings();
    String now = Long.toString(store.clock().millis());
    String markTtl = Long.toString(s.reservationRetention().toMillis());
    String reservation = RedisKeys.reservation(lost.reservationId());
    List<Object> out =
        lost.finish() != null
            ? lost.finish().get()
            : lost.fingerprint() == null
                ? store.run(
                    Scripts.CANCEL, new String[] {RedisKeys.EPOCH, reservation}, now, markTtl)
                : store.run(
                    Scripts.CANCEL,
                    new String[] {
                      RedisKeys.EPOCH, reservation, RedisKeys.dedup(lost.fingerprint())
                    },
                    now,
                    markTtl,
                    lost.token(),
                    RedisKeys.DEDUP_CHANNEL,
                    lost.fingerprint());
    String answer = RedisLedger.str(out, 0);
    if ("rebuilding".equals(answer)) {
      // a rebuild after a failover keeps the open reservations Redis still holds: cancel after it
      rebuildNeeded.run();
      throw new StoreUnavailableException("ledger rebuilding");
    }
    log.debug("lost reserve {}: {}", lost.reservationId(), answer);
  }

  @Override
  public void close() {
    drainer.shutdownNow();
  }
}
