package io.keybrake.store.redis;

import io.keybrake.core.admission.OpenReservation;
import io.keybrake.core.admission.OpenReservations;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.ledger.SpendRecord;
import io.keybrake.core.store.StoreUnavailableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RedisLedger} keeps the fleet's spend counters and reservations in Redis. Each operation is
 * one Lua script ({@code resources/lua/reserve.lua}, {@code finish.lua}, {@code unsettle.lua},
 * {@code counter.lua}), so a reservation checks and takes room in every counter of a call in one
 * atomic step, for every instance sharing the Redis. Reservation states and their meaning are those
 * of the embedded ledger: {@code reserved}, {@code unsettled}, {@code settled}, {@code released},
 * {@code refused} (kept so a repeated id gets the same answer). Limits with the same counter id in
 * one request count once; a request with no limits is reserved with {@code capMicros =
 * Long.MAX_VALUE}. Amounts are exact up to 2^53 micro-dollars (the scripts compute in doubles).
 *
 * <p>Counters expire {@link RedisSettings#windowGrace()} after their window ends; lifetime counters
 * never. Reservations are kept {@link RedisSettings#reservationRetention()}, or as long as their
 * longest windowed counter, while their outcome may still change: open, unsettled, or settled at an
 * estimate the vendor's price may {@link #adjust} later. Once it is final (released, settled at the
 * vendor's own price, adjusted) a reservation is kept {@link #FINAL_RETENTION} more at most: Redis
 * holds each call for an hour, not two days.
 *
 * <p>If Redis lost the ledger (its epoch marker is missing: a restart without persistence, or a
 * marker another server wrote, which {@link RedisStore} fences after a failover), every operation
 * throws {@link StoreUnavailableException} "ledger rebuilding" and a rebuild from the {@link
 * SpendRecord} starts in the background; see {@link LedgerRebuild}. A brand-new Redis is
 * initialised the same way (from an empty record).
 *
 * <p>Faults (timeouts, lost connection, open breaker) throw {@link StoreUnavailableException}
 * within the store's command timeout. A reserve whose answer was lost (Redis may have run it) is
 * cancelled as soon as Redis answers again ({@link Compensations}): the caller refused the call, so
 * it holds no budget. Thread-safe; {@link #close()} stops the rebuild thread (the {@link
 * RedisStore} is closed by its owner).
 */
public final class RedisLedger implements Ledger, OpenReservations, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisLedger.class);
  private static final long REBUILD_ATTEMPT_EVERY_MILLIS = 100;

  private final RedisStore store;
  private final LedgerRebuild rebuild;
  private final ExecutorService rebuilder;
  private final AtomicBoolean rebuilding = new AtomicBoolean();
  private final AtomicLong lastRebuildAttempt = new AtomicLong(Long.MIN_VALUE / 2);
  private final Compensations compensations;

  /**
   * A ledger over {@code store}, rebuilt from {@code record} whenever Redis lost it.
   *
   * @param record where spend is recorded (the audit log in fleet mode)
   */
  public RedisLedger(RedisStore store, SpendRecord record) {
    this.store = Objects.requireNonNull(store);
    this.rebuild = new LedgerRebuild(store, Objects.requireNonNull(record));
    this.compensations = new Compensations(store, this::rebuildingNow);
    this.rebuilder =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-ledger-rebuild");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public ReserveOutcome reserve(ReserveRequest request) {
    ReserveCall call = reserveCall(request);
    List<Object> out;
    try {
      out = store.run(Scripts.RESERVE, call.keys(), call.args());
    } catch (AnswerLostException e) {
      compensations.add(new Compensations.Lost(request.reservationId(), null, null));
      throw e;
    }
    return outcome(call, out);
  }

  /**
   * {@link #reserve} without blocking: the stage completes on lettuce's event loop (a lost answer
   * is compensated as {@link #reserve} does, and fails the stage).
   */
  CompletableFuture<ReserveOutcome> reserveAsync(ReserveRequest request) {
    ReserveCall call = reserveCall(request);
    return store
        .runAsync(Scripts.RESERVE, call.keys(), call.args())
        .handle(
            (out, failure) -> {
              if (failure != null) {
                Throwable cause = Stages.cause(failure);
                if (cause instanceof AnswerLostException) {
                  compensations.add(new Compensations.Lost(request.reservationId(), null, null));
                }
                throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
              }
              return outcome(call, out);
            });
  }

  /**
   * Queues the cancelling of a reserve whose answer was lost (the caller refuses the call), with
   * the dedup claim it may have taken; see {@link Compensations}.
   */
  void compensateLost(String reservationId, String fingerprint, String token) {
    compensations.add(new Compensations.Lost(reservationId, fingerprint, token));
  }

  /**
   * Reserves whose answer was lost and that are not yet cancelled, and settles or releases deferred
   * by a rebuild (they wait for the ledger to serve again).
   */
  public int lostReservesPending() {
    return compensations.pending();
  }

  /** The keys and arguments of {@code reserve.lua} for one request, and its distinct limits. */
  record ReserveCall(
      ReserveRequest request, List<BudgetLimit> limits, String[] keys, String[] args) {}

  ReserveCall reserveCall(ReserveRequest request) {
    Map<String, BudgetLimit> distinct = new LinkedHashMap<>();
    for (BudgetLimit limit : request.limits()) {
      distinct.putIfAbsent(limit.counterId(), limit);
    }
    List<BudgetLimit> limits = new ArrayList<>(distinct.values());
    RedisSettings s = store.settings();
    String[] keys = new String[2 + limits.size()];
    String[] args = new String[5 + 2 * limits.size()];
    keys[0] = RedisKeys.EPOCH;
    keys[1] = RedisKeys.reservation(request.reservationId());
    args[0] = Long.toString(request.amountMicros());
    args[1] = Long.toString(request.at().toEpochMilli());
    args[2] =
        Long.toString(
            Expiries.reservation(limits, request.at(), s.reservationRetention(), s.windowGrace()));
    for (int i = 0; i < limits.size(); i++) {
      BudgetLimit l = limits.get(i);
      keys[2 + i] = RedisKeys.counter(l.counterId());
      args[3 + 2 * i] = Long.toString(l.capMicros());
      args[4 + 2 * i] = Long.toString(Expiries.counter(l, s.windowGrace()));
    }
    args[args.length - 2] = FINAL_RETENTION_MS; // a refusal is final
    args[args.length - 1] = request.keyId();
    return new ReserveCall(request, limits, keys, args);
  }

  /** Reads {@code reserve.lua}'s answer. */
  ReserveOutcome outcome(ReserveCall call, List<Object> out) {
    ReserveRequest request = call.request();
    List<BudgetLimit> limits = call.limits();
    String verdict = str(out, 0);
    switch (verdict) {
      case "reserved":
        remember(call);
        return new ReserveOutcome.Reserved(
            request.reservationId(), num(out, 2), cap(limits, (int) num(out, 1)));
      case "refused":
        {
          int i = (int) num(out, 1);
          return new ReserveOutcome.Exhausted(
              limits.get(i - 1), num(out, 2), request.amountMicros());
        }
      case "again":
        {
          int i = (int) num(out, 3);
          if ("refused".equals(str(out, 1)) && i >= 1 && i <= limits.size()) {
            return new ReserveOutcome.Exhausted(
                limits.get(i - 1), num(out, 2), request.amountMicros());
          }
          return new ReserveOutcome.Reserved(request.reservationId(), num(out, 2), cap(limits, i));
        }
      case "rebuilding":
        throw rebuildingNow();
      default:
        throw new StoreUnavailableException("unexpected answer of the reserve script: " + verdict);
    }
  }

  /**
   * {@inheritDoc} The amount may be an estimate: the reservation is kept for {@link #adjust} as
   * long as it was reserved for.
   */
  @Override
  public void settle(String reservationId, long actualMicros) {
    settle(reservationId, actualMicros, false);
  }

  /**
   * Settles; with {@code priceFinal} (the vendor's own price, which nothing will adjust) the
   * reservation is then kept {@link #FINAL_RETENTION} at most.
   */
  void settle(String reservationId, long actualMicros, boolean priceFinal) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    finish(reservationId, actualMicros, "settled", priceFinal);
  }

  @Override
  public void release(String reservationId) {
    finish(reservationId, 0, "released", true);
  }

  /**
   * How long a reservation whose outcome is final (refused, released, settled at the vendor's
   * price, adjusted) stays in Redis: room for a repeated finish or reserve of the same call
   * (seconds after it, at most a reconnection later), not for the life of its windows (Redis memory
   * grows with the calls of this long, not of {@link RedisSettings#reservationRetention()}).
   */
  static final java.time.Duration FINAL_RETENTION = java.time.Duration.ofHours(1);

  /** {@link #FINAL_RETENTION} as the scripts take it (ms). */
  private static final String FINAL_RETENTION_MS = Long.toString(FINAL_RETENTION.toMillis());

  /**
   * Reservations still open (neither settled, released nor unsettled) that were made before {@code
   * before}, oldest first, at most {@code max}: calls whose instance died before their response (a
   * live exchange never lasts that long).
   */
  @Override
  public List<OpenReservation> openBefore(java.time.Instant before, int max) {
    List<String> hashes =
        store.call(
            "list open reservations",
            c ->
                c.zrangebyscore(
                    RedisKeys.OPEN,
                    io.lettuce.core.Range.create(
                        0,
                        before.isAfter(java.time.Instant.ofEpochMilli(Long.MAX_VALUE))
                            ? Double.MAX_VALUE
                            : (double) before.toEpochMilli()),
                    io.lettuce.core.Limit.create(0, max)));
    List<OpenReservation> out = new ArrayList<>();
    String prefix = RedisKeys.reservation("");
    for (String hash : hashes) {
      List<io.lettuce.core.KeyValue<String, String>> f =
          store.call("read a reservation", c -> c.hmget(hash, "key", "amount", "at"));
      if (f.size() < 3 || !f.get(1).hasValue()) {
        continue;
      }
      out.add(
          new OpenReservation(
              hash.substring(prefix.length()),
              f.get(0).getValueOrElse(null),
              Long.parseLong(f.get(1).getValue()),
              java.time.Instant.ofEpochMilli(Long.parseLong(f.get(2).getValueOrElse("0")))));
    }
    return out;
  }

  /**
   * Marks a reservation unsettled if it is still open.
   *
   * @return true when this call moved it from open to unsettled (so exactly one caller audits it)
   */
  @Override
  public boolean unsettleIfOpen(String reservationId) {
    forget(reservationId);
    List<Object> out =
        store.run(
            Scripts.UNSETTLE, new String[] {RedisKeys.EPOCH, RedisKeys.reservation(reservationId)});
    if ("rebuilding".equals(str(out, 0))) {
      throw rebuildingNow();
    }
    return "reserved".equals(str(out, 0));
  }

  @Override
  public void markUnsettled(String reservationId) {
    forget(reservationId);
    List<Object> out =
        store.run(
            Scripts.UNSETTLE, new String[] {RedisKeys.EPOCH, RedisKeys.reservation(reservationId)});
    if ("rebuilding".equals(str(out, 0))) {
      throw rebuildingNow();
    }
  }

  @Override
  public CounterSnapshot counter(BudgetLimit limit) {
    List<Object> out =
        store.run(
            Scripts.COUNTER, new String[] {RedisKeys.EPOCH, RedisKeys.counter(limit.counterId())});
    if ("rebuilding".equals(str(out, 0))) {
      throw rebuildingNow();
    }
    return new CounterSnapshot(num(out, 1), num(out, 2));
  }

  /**
   * Rebuilds the ledger now if Redis lost it, in this thread. Also the way to initialise a new
   * Redis before serving.
   */
  public LedgerRebuild.Result rebuild() {
    return rebuild.run();
  }

  /** The store this ledger runs on (for its command latency and breaker, in metrics and tests). */
  public RedisStore store() {
    return store;
  }

  /**
   * Whether the ledger can serve now: Redis answers and holds the ledger (its epoch marker). When
   * the marker is missing a rebuild is started, as any operation would.
   */
  public boolean ready() {
    try {
      if (store.call("read the ledger epoch", c -> c.exists(RedisKeys.EPOCH)) > 0) {
        return true;
      }
      rebuildingNow();
      return false;
    } catch (StoreUnavailableException e) {
      return false;
    }
  }

  /** Stops the background rebuild and compensation threads. */
  @Override
  public void close() {
    rebuilder.shutdownNow();
    compensations.close();
  }

  @Override
  public boolean adjust(String reservationId, long actualMicros) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    List<Object> out =
        store.run(
            Scripts.ADJUST,
            new String[] {RedisKeys.EPOCH, RedisKeys.reservation(reservationId)},
            Long.toString(actualMicros),
            FINAL_RETENTION_MS);
    if ("rebuilding".equals(str(out, 0))) {
      throw rebuildingNow();
    }
    return "done".equals(str(out, 0));
  }

  private void finish(String reservationId, long actualMicros, String state, boolean outcomeFinal) {
    String[] args = finishArgs(actualMicros, state, outcomeFinal);
    patiently(
        state + " reservation " + reservationId,
        reservationId,
        () -> finishOnce(Scripts.FINISH, finishKeys(reservationId), args, reservationId));
  }

  /**
   * Runs a finishing script ({@code finish.lua}, {@code settle_complete.lua}) once; when Redis does
   * not know the reservation but this instance made it, makes it again ({@link #reassert}) and runs
   * the script again. Forgets the reservation once finished.
   */
  List<Object> finishOnce(LuaScript script, String[] keys, String[] args, String reservationId) {
    List<Object> out = store.run(script, keys, args);
    if ("unknown".equals(str(out, 0)) && reassert(reservationId)) {
      out = store.run(script, keys, args);
    }
    if (!"rebuilding".equals(str(out, 0))) {
      forget(reservationId);
    }
    return out;
  }

  /** Most reservations this instance remembers until they finish ({@link #reassert}). */
  static final int MAX_REMEMBERED = 100_000;

  /** This instance's open reservations, by id: what a failover may have lost. */
  private final java.util.concurrent.ConcurrentHashMap<String, ReserveCall> open =
      new java.util.concurrent.ConcurrentHashMap<>();

  void remember(ReserveCall call) {
    if (open.size() < MAX_REMEMBERED) {
      open.put(call.request().reservationId(), call);
    }
  }

  void forget(String reservationId) {
    open.remove(reservationId);
  }

  /**
   * Redis does not know a reservation this instance made and has not finished: a failover lost it
   * (the primary acknowledged it, the replica never got it). The call went ahead on it, so it is
   * made again without checking the caps (its room was checked when it was made) before it is
   * finished: the spend is counted, never lost.
   *
   * @return whether the reservation was made again
   */
  boolean reassert(String reservationId) {
    ReserveCall call = open.get(reservationId);
    if (call == null) {
      return false;
    }
    String[] args = call.args().clone();
    for (int i = 0; i < call.limits().size(); i++) {
      args[3 + 2 * i] = Long.toString(1L << 52); // no cap: the room was checked before
    }
    String answer = str(store.run(Scripts.RESERVE, call.keys(), args), 0);
    log.warn(
        "reservation {} was lost by Redis (a failover); made again at its amount: {}",
        reservationId,
        answer);
    return true;
  }

  /**
   * How long a settle or release keeps trying while the ledger is rebuilding or Redis does not
   * answer (a failover): the call already happened, so its outcome is worth waiting for; past this
   * it is given up and the caller keeps the reservation as unsettled.
   */
  static final java.time.Duration FINISH_PATIENCE = java.time.Duration.ofSeconds(6);

  /**
   * Runs an idempotent finishing script until it answers other than {@code rebuilding}, retrying
   * faults and rebuilds with a growing pause for at most {@link #FINISH_PATIENCE}.
   */
  List<Object> patiently(String what, java.util.function.Supplier<List<Object>> script) {
    return patiently(what, null, script);
  }

  /**
   * As {@link #patiently(String, java.util.function.Supplier)}; when {@code deferredAs} (a
   * reservation id) is given, a script still refused after the patience is queued with the lost
   * reserves ({@link Compensations}) and run again until it is applied, and null is returned.
   */
  List<Object> patiently(
      String what, String deferredAs, java.util.function.Supplier<List<Object>> script) {
    long deadline = System.nanoTime() + FINISH_PATIENCE.toNanos();
    long pauseMillis = 5;
    while (true) {
      StoreUnavailableException failure;
      try {
        List<Object> out = script.get();
        if (!"rebuilding".equals(str(out, 0))) {
          return out;
        }
        failure = rebuildingNow();
      } catch (StoreUnavailableException e) {
        failure = e;
      }
      if (System.nanoTime() + pauseMillis * 1_000_000L - deadline > 0) {
        if (deferredAs != null) {
          // the call happened: its outcome is applied as soon as the ledger serves again, and
          // until then its reservation keeps counting (at its reserved amount)
          compensations.add(Compensations.deferredFinish(deferredAs, script));
          log.warn("{} deferred until the ledger serves again: {}", what, failure.getMessage());
          return null;
        }
        throw failure;
      }
      log.debug("{}: {}; trying again in {} ms", what, failure.getMessage(), pauseMillis);
      try {
        Thread.sleep(pauseMillis); // a retry pause, not a synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure;
      }
      pauseMillis = Math.min(200, pauseMillis * 2);
    }
  }

  static String[] finishKeys(String reservationId) {
    return new String[] {RedisKeys.EPOCH, RedisKeys.reservation(reservationId)};
  }

  /**
   * {@code finish.lua}'s arguments; with {@code outcomeFinal} the reservation is kept {@link
   * #FINAL_RETENTION} at most once finished.
   */
  String[] finishArgs(long actualMicros, String state, boolean outcomeFinal) {
    return new String[] {
      Long.toString(actualMicros),
      state,
      Long.toString(store.clock().millis()),
      outcomeFinal ? FINAL_RETENTION_MS : "0"
    };
  }

  /**
   * Throws "ledger rebuilding" (and starts a rebuild) when a script answered {@code rebuilding}.
   */
  void failIfRebuilding(List<Object> out) {
    if ("rebuilding".equals(str(out, 0))) {
      throw rebuildingNow();
    }
  }

  /** Starts a background rebuild (at most one at a time, at most every 100 ms). */
  private StoreUnavailableException rebuildingNow() {
    long now = store.clock().millis();
    long last = lastRebuildAttempt.get();
    if (now - last >= REBUILD_ATTEMPT_EVERY_MILLIS
        && lastRebuildAttempt.compareAndSet(last, now)
        && rebuilding.compareAndSet(false, true)) {
      try {
        rebuilder.execute(
            () -> {
              try {
                LedgerRebuild.Result r = rebuild.run();
                log.info("ledger rebuild: {}", r);
              } catch (RuntimeException e) {
                log.warn("ledger rebuild failed: {}", e.getMessage());
              } finally {
                rebuilding.set(false);
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        rebuilding.set(false); // closed
      }
    }
    return new StoreUnavailableException("ledger rebuilding");
  }

  private static long cap(List<BudgetLimit> limits, int index) {
    return index >= 1 && index <= limits.size()
        ? limits.get(index - 1).capMicros()
        : Long.MAX_VALUE;
  }

  static String str(List<Object> out, int i) {
    if (out == null || out.size() <= i || out.get(i) == null) {
      throw new StoreUnavailableException("short answer from a ledger script");
    }
    return out.get(i).toString();
  }

  static long num(List<Object> out, int i) {
    String s = str(out, i);
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new StoreUnavailableException("a ledger script answered a non-integer: " + s);
    }
  }
}
