package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.daily;
import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.RecordedSpend;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.store.redis.LedgerRebuild;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Redis killed, frozen and restarted empty under load: the ledger fails closed, bounded. */
class RedisLedgerFaultIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final Duration TIMEOUT = Duration.ofMillis(200);

  /**
   * No call waits much past the deadline: the bound leaves room for a machine shared by several
   * builds (a thread may wait for a core), not for a hang.
   */
  private static final long BOUND_MILLIS = 1_500;

  private static final int THREADS = 16;

  private final RedisSettings settings =
      RedisSettings.defaults().withCommandTimeout(TIMEOUT).withBreaker(5, Duration.ofMillis(200));
  private final InMemorySpendRecord record = new InMemorySpendRecord();
  private RedisStore store;
  private RedisLedger ledger;

  /** One call as a worker saw it. */
  private record Call(long startNanos, long endNanos, ReserveOutcome outcome, Exception error) {
    long millis() {
      return (endNanos - startNanos) / 1_000_000;
    }
  }

  @BeforeEach
  void start() {
    if (!REDIS.server().isRunning()) {
      REDIS.server().restart();
    }
    store = RedisStore.connect(REDIS.uri(), settings, RedisFixtures.CLOCK);
    ledger = new RedisLedger(store, record);
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptions()
        .until(() -> ledger.rebuild() != LedgerRebuild.Result.IN_PROGRESS_ELSEWHERE);
  }

  @AfterEach
  void stop() {
    record.open();
    if (ledger != null) {
      ledger.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void killedRedisFailsEveryCallWithinTheTimeoutThenRebuildsFromTheRecord() throws Exception {
    BudgetLimit keyDaily = daily("key_daily", unique("key:a"), 40_000_000);
    BudgetLimit fleet = daily("eng-fleet", unique("budget:eng"), 30_000_000);
    List<BudgetLimit> limits = List.of(keyDaily, fleet);
    AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    List<Call> calls =
        load(
            limits,
            () -> {
              REDIS.server().kill();
              killedAt.set(System.nanoTime());
            });

    List<Call> after = calls.stream().filter(c -> c.startNanos() > killedAt.get()).toList();
    assertThat(after).as("calls made while Redis was dead").hasSizeGreaterThan(50);
    assertThat(after)
        .allSatisfy(c -> assertThat(c.error()).isInstanceOf(StoreUnavailableException.class));
    long slowest = calls.stream().mapToLong(Call::millis).max().orElseThrow();
    System.out.printf(
        "redis killed: %d calls after the kill, all refused; slowest call %d ms%n",
        after.size(), slowest);
    assertThat(slowest).isLessThanOrEqualTo(BOUND_MILLIS);

    // Redis comes back empty: the ledger refuses until the record is read back in
    record.hold();
    REDIS.server().restart();
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThatThrownBy(() -> ledger.reserve(request(limits, 1)))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessage("ledger rebuilding"));
    await().atMost(Duration.ofSeconds(5)).until(() -> record.reads() > 0);
    RedisLedger other = new RedisLedger(store, record);
    assertThat(other.rebuild()).isEqualTo(LedgerRebuild.Result.IN_PROGRESS_ELSEWHERE);
    other.close();
    assertThatThrownBy(() -> ledger.counter(fleet)).hasMessage("ledger rebuilding");
    // a settle waits out the rebuild for a while, then is queued and applied once it is done
    ledger.settle("any", 1);
    assertThat(ledger.lostReservesPending()).isPositive();
    record.open();
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptions()
        .until(() -> ledger.counter(fleet) != null);

    for (BudgetLimit l : limits) {
      long[] sums = record.sums(l);
      assertThat(ledger.counter(l)).as(l.scope()).isEqualTo(new CounterSnapshot(sums[0], sums[1]));
    }

    // a reservation that was open when Redis died can still be settled
    RecordedSpend open = openOne();
    CounterSnapshot before = ledger.counter(fleet);
    ledger.settle(open.reservationId(), 1);
    assertThat(ledger.counter(fleet))
        .isEqualTo(
            new CounterSnapshot(
                before.settledMicros() + 1, before.reservedMicros() - open.micros()));

    // spend across the outage stays within the caps
    Random rnd = new Random(7);
    for (int i = 0; i < 5_000; i++) {
      ledger.reserve(request(limits, 1 + rnd.nextInt(50_000)));
    }
    assertThat(ledger.counter(keyDaily).totalMicros()).isLessThanOrEqualTo(keyDaily.capMicros());
    assertThat(ledger.counter(fleet).totalMicros())
        .isLessThanOrEqualTo(fleet.capMicros())
        .isGreaterThan(fleet.capMicros() - 50_000);
  }

  @Test
  void frozenRedisTimesOutWithinTheBoundAndOpensTheBreaker() throws Exception {
    BudgetLimit keyDaily = daily("key_daily", unique("key:a"), Long.MAX_VALUE / 4);
    List<BudgetLimit> limits = List.of(keyDaily);
    AtomicLong frozenAt = new AtomicLong(Long.MAX_VALUE);
    AtomicBoolean sawOpen = new AtomicBoolean();
    List<Call> calls;
    try {
      calls =
          load(
              limits,
              () -> {
                REDIS.server().freeze();
                frozenAt.set(System.nanoTime());
              },
              () -> sawOpen.compareAndSet(false, store.circuit() == RedisStore.Circuit.OPEN));
    } finally {
      REDIS.server().thaw();
    }
    List<Call> during =
        calls.stream().filter(c -> c.startNanos() > frozenAt.get() + 1_000_000).toList();
    assertThat(during).hasSizeGreaterThan(50);
    assertThat(during)
        .allSatisfy(c -> assertThat(c.error()).isInstanceOf(StoreUnavailableException.class));
    long[] millis = calls.stream().mapToLong(Call::millis).sorted().toArray();
    System.out.printf(
        "redis frozen: %d calls while frozen, all refused; p50 %d ms, p99 %d ms, max %d ms%n",
        during.size(),
        millis[millis.length / 2],
        millis[(int) (millis.length * 0.99)],
        millis[millis.length - 1]);
    assertThat(millis[millis.length - 1]).isLessThanOrEqualTo(BOUND_MILLIS);
    assertThat(sawOpen).as("the breaker opened").isTrue();

    // thawed: the breaker lets a probe through and closes
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptions()
        .until(() -> ledger.reserve(request(limits, 1)) instanceof ReserveOutcome.Reserved);
    assertThat(store.circuit()).isEqualTo(RedisStore.Circuit.CLOSED);
  }

  @Test
  void connectingToARedisThatIsNotThereFailsClosedAndFast() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "redis://127.0.0.1:" + port;
    long start = System.nanoTime();
    assertThatThrownBy(() -> RedisStore.connect(url, settings, RedisFixtures.CLOCK))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("cannot connect to Redis");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
  }

  private RecordedSpend openOne() {
    List<RecordedSpend> spend = record.openSpend(RedisFixtures.CLOCK.instant());
    return spend.stream().filter(s -> !s.settled()).findFirst().orElseThrow();
  }

  private List<Call> load(List<BudgetLimit> limits, Runnable fault) throws Exception {
    return load(limits, fault, () -> {});
  }

  /**
   * 16 threads reserve (and settle every other reservation) for 300 ms, then {@code fault} runs,
   * then they go on for 1 s. Reported reservations and settlements go to the record.
   */
  private List<Call> load(List<BudgetLimit> limits, Runnable fault, Runnable probe)
      throws Exception {
    List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int seed = t;
        workers.add(
            pool.submit(
                () -> {
                  Random rnd = new Random(seed);
                  while (running.get()) {
                    long amount = 1 + rnd.nextInt(50_000);
                    ReserveRequest r = request(limits, amount);
                    long start = System.nanoTime();
                    try {
                      ReserveOutcome o = ledger.reserve(r);
                      calls.add(new Call(start, System.nanoTime(), o, null));
                      if (o instanceof ReserveOutcome.Reserved) {
                        record(r, amount, rnd.nextBoolean());
                      }
                    } catch (StoreUnavailableException e) {
                      calls.add(new Call(start, System.nanoTime(), null, e));
                    }
                    probe.run();
                  }
                  return null;
                }));
      }
      Thread.sleep(300);
      fault.run();
      Thread.sleep(1_000);
      running.set(false);
      for (Future<?> w : workers) {
        w.get();
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
    return calls;
  }

  /** Records a reported reservation; settles it first when asked and when the settle succeeds. */
  private void record(ReserveRequest r, long amount, boolean settle) {
    if (settle) {
      try {
        ledger.settle(r.reservationId(), amount / 2);
        record.add(new RecordedSpend(r.reservationId(), r.limits(), amount / 2, true));
        return;
      } catch (StoreUnavailableException e) {
        // not settled as far as the record knows: it stays reserved
      }
    }
    record.add(new RecordedSpend(r.reservationId(), r.limits(), amount, false));
  }

  private static ReserveRequest request(List<BudgetLimit> limits, long amount) {
    return new ReserveRequest(unique("r"), "key", limits, amount, RedisFixtures.CLOCK.instant());
  }
}
