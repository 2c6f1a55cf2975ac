package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.daily;
import static io.keybrake.harness.redis.RedisFixtures.lifetime;
import static io.keybrake.harness.redis.RedisFixtures.request;
import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.store.redis.RedisKeys;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisStore;
import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisLedgerIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static RedisStore store;
  private static RedisLedger ledger;
  private static RedisFixtures.Inspector inspector;

  @BeforeAll
  static void start() {
    store = RedisFixtures.store(REDIS.uri());
    ledger = RedisFixtures.readyLedger(store);
    inspector = new RedisFixtures.Inspector(REDIS.uri());
  }

  @AfterAll
  static void stop() {
    inspector.close();
    ledger.close();
    store.close();
  }

  @Test
  void reservesInEveryLimitOrInNone() {
    String key = unique("key");
    BudgetLimit keyDaily = daily("key_daily", "key:" + key, 1_000);
    BudgetLimit fleet = daily("eng-fleet", unique("budget:eng"), 1_500);

    ReserveOutcome first = ledger.reserve(request(unique("r"), 600, keyDaily, fleet));
    assertThat(first).isInstanceOf(ReserveOutcome.Reserved.class);
    assertThat(((ReserveOutcome.Reserved) first).spentMicros()).isEqualTo(600);
    assertThat(((ReserveOutcome.Reserved) first).capMicros()).as("tightest").isEqualTo(1_000);

    // fits the fleet budget but not the key's cap: reserved nowhere
    ReserveOutcome second = ledger.reserve(request(unique("r"), 500, keyDaily, fleet));
    assertThat(second).isEqualTo(new ReserveOutcome.Exhausted(keyDaily, 600, 500));
    assertThat(ledger.counter(keyDaily)).isEqualTo(new CounterSnapshot(0, 600));
    assertThat(ledger.counter(fleet)).isEqualTo(new CounterSnapshot(0, 600));

    // exactly fills the key's cap
    assertThat(ledger.reserve(request(unique("r"), 400, keyDaily, fleet)))
        .isInstanceOf(ReserveOutcome.Reserved.class);
    assertThat(ledger.counter(keyDaily).totalMicros()).isEqualTo(1_000);
  }

  @Test
  void refusalNamesTheFirstLimitThatCannotTakeTheAmount() {
    BudgetLimit roomy = daily("key_daily", unique("key:a"), 10_000);
    BudgetLimit fleet = daily("eng-fleet", unique("budget:eng"), 100);
    assertThat(ledger.reserve(request(unique("r"), 101, roomy, fleet)))
        .isEqualTo(new ReserveOutcome.Exhausted(fleet, 0, 101));
    assertThat(ledger.counter(roomy)).isEqualTo(CounterSnapshot.EMPTY);
  }

  @Test
  void repeatedReservationIdReturnsTheFirstOutcome() {
    BudgetLimit limit = daily("key_daily", unique("key:a"), 1_000);
    String id = unique("r");
    ReserveOutcome first = ledger.reserve(request(id, 700, limit));
    assertThat(ledger.reserve(request(id, 700, limit))).isEqualTo(first);
    assertThat(ledger.counter(limit).reservedMicros()).isEqualTo(700);

    String refused = unique("r");
    ReserveOutcome no = ledger.reserve(request(refused, 400, limit));
    assertThat(no).isEqualTo(new ReserveOutcome.Exhausted(limit, 700, 400));
    assertThat(inspector.redis().pttl(RedisKeys.reservation(refused)))
        .as("a refusal is kept an hour, for a repeated reserve, not for the reservation's two days")
        .isBetween(1L, java.time.Duration.ofHours(1).toMillis());
    ledger.release(id);
    assertThat(ledger.reserve(request(refused, 400, limit)))
        .as("a refused id stays refused even when room appeared")
        .isEqualTo(no);
    assertThat(ledger.counter(limit)).isEqualTo(CounterSnapshot.EMPTY);
  }

  @Test
  void sameCounterTwiceInOneRequestCountsOnce() {
    BudgetLimit limit = daily("key_daily", unique("key:a"), 1_000);
    assertThat(ledger.reserve(request(unique("r"), 600, limit, limit)))
        .isInstanceOf(ReserveOutcome.Reserved.class);
    assertThat(ledger.counter(limit).reservedMicros()).isEqualTo(600);
  }

  @Test
  void requestWithoutLimitsIsReservedUncapped() {
    ReserveOutcome r = ledger.reserve(request(unique("r"), 600));
    assertThat(r)
        .isEqualTo(
            new ReserveOutcome.Reserved(
                ((ReserveOutcome.Reserved) r).reservationId(), 600, Long.MAX_VALUE));
  }

  @Test
  void settleMovesTheReservationToTheActualCostOnce() {
    BudgetLimit keyDaily = daily("key_daily", unique("key:a"), 10_000);
    BudgetLimit total = lifetime(unique("key:a"), 50_000);
    String id = unique("r");
    ledger.reserve(request(id, 1_000, keyDaily, total));
    ledger.settle(id, 1_250);
    ledger.settle(id, 1_250);
    ledger.release(id);
    assertThat(ledger.counter(keyDaily)).isEqualTo(new CounterSnapshot(1_250, 0));
    assertThat(ledger.counter(total)).isEqualTo(new CounterSnapshot(1_250, 0));
    ledger.settle(unique("unknown"), 99); // ignored
  }

  /**
   * A call estimated at nothing (an endpoint that costs nothing, a price of 0) is reserved at 0 and
   * settled or released like any other: finishing one once sent Redis "-0" to add, which it refuses
   * as not an integer, and the settlement never took.
   */
  @Test
  void aReservationOfNothingIsSettledAndReleased() {
    BudgetLimit limit = daily("key_daily", unique("key:a"), 1_000);
    String settled = unique("r");
    String released = unique("r");
    ledger.reserve(request(settled, 0, limit));
    ledger.reserve(request(released, 0, limit));

    ledger.settle(settled, 40); // the vendor charged after all
    ledger.release(released);

    assertThat(inspector.redis().hget(RedisKeys.reservation(settled), "state"))
        .isEqualTo("settled");
    assertThat(inspector.redis().hget(RedisKeys.reservation(released), "state"))
        .isEqualTo("released");
    assertThat(ledger.counter(limit)).isEqualTo(new CounterSnapshot(40, 0));
  }

  @Test
  void adjustReplacesASettledAmountByTheVendorsLaterPrice() {
    BudgetLimit keyDaily = daily("key_daily", unique("key:a"), 10_000);
    BudgetLimit total = lifetime(unique("key:a"), 50_000);
    String id = unique("r");
    ledger.reserve(request(id, 830, keyDaily, total));
    assertThat(ledger.adjust(id, 790)).as("not settled yet").isFalse();
    ledger.settle(id, 830);

    assertThat(ledger.adjust(id, 790)).isTrue();
    assertThat(ledger.adjust(id, 790)).as("idempotent").isFalse();
    assertThat(ledger.counter(keyDaily)).isEqualTo(new CounterSnapshot(790, 0));
    assertThat(ledger.counter(total)).isEqualTo(new CounterSnapshot(790, 0));
    assertThat(ledger.adjust(unique("unknown"), 5)).isFalse();
  }

  @Test
  void releaseGivesTheRoomBack() {
    BudgetLimit limit = daily("key_daily", unique("key:a"), 1_000);
    String id = unique("r");
    ledger.reserve(request(id, 1_000, limit));
    ledger.release(id);
    ledger.release(id);
    assertThat(ledger.counter(limit)).isEqualTo(CounterSnapshot.EMPTY);
    assertThat(ledger.reserve(request(unique("r"), 1_000, limit)))
        .isInstanceOf(ReserveOutcome.Reserved.class);
  }

  @Test
  void unsettledReservationKeepsCountingAndCanStillBeSettled() {
    BudgetLimit limit = daily("key_daily", unique("key:a"), 1_000);
    String id = unique("r");
    ledger.reserve(request(id, 800, limit));
    ledger.markUnsettled(id);
    assertThat(inspector.redis().hget(RedisKeys.reservation(id), "state")).isEqualTo("unsettled");
    assertThat(ledger.counter(limit)).isEqualTo(new CounterSnapshot(0, 800));
    assertThat(ledger.reserve(request(unique("r"), 300, limit)))
        .isInstanceOf(ReserveOutcome.Exhausted.class);
    ledger.settle(id, 200);
    assertThat(ledger.counter(limit)).isEqualTo(new CounterSnapshot(200, 0));
    ledger.markUnsettled(id);
    assertThat(inspector.redis().hget(RedisKeys.reservation(id), "state")).isEqualTo("settled");
  }

  @Test
  void windowedKeysExpireAfterTheirWindowAndLifetimeCountersNever() {
    BudgetLimit keyDaily = daily("key_daily", unique("key:a"), 10_000);
    BudgetLimit total = lifetime(unique("key:a"), 50_000);
    String id = unique("r");
    ledger.reserve(request(id, 100, keyDaily, total));
    long grace = store.settings().windowGrace().toMillis();
    long expected = keyDaily.windowEnd().toEpochMilli() + grace - RedisFixtures.CLOCK.millis();

    long counterTtl = inspector.redis().pttl(RedisKeys.counter(keyDaily.counterId()));
    assertThat((double) counterTtl).isCloseTo(expected, within(5_000.0));
    assertThat(inspector.redis().pttl(RedisKeys.counter(total.counterId())))
        .as("lifetime counter has no TTL")
        .isEqualTo(-1);
    long reservationTtl = inspector.redis().pttl(RedisKeys.reservation(id));
    assertThat((double) reservationTtl)
        .isCloseTo(
            Math.max(expected, store.settings().reservationRetention().toMillis()),
            within(5_000.0));

    ledger.settle(id, 100);
    assertThat((double) inspector.redis().pttl(RedisKeys.counter(keyDaily.counterId())))
        .as("settle keeps the TTL")
        .isCloseTo(expected, within(5_000.0));
    assertThat(inspector.redis().pttl(RedisKeys.counter(total.counterId()))).isEqualTo(-1);
  }

  @Test
  void everyKeyOfTheLedgerSharesOneClusterSlot() {
    BudgetLimit keyDaily = daily("key_daily", unique("key:a"), 10_000);
    String id = unique("r");
    ledger.reserve(request(id, 1, keyDaily));
    int slot = SlotHash.getSlot(RedisKeys.EPOCH);
    assertThat(SlotHash.getSlot(RedisKeys.REBUILD_LOCK)).isEqualTo(slot);
    assertThat(SlotHash.getSlot(RedisKeys.reservation(id))).isEqualTo(slot);
    assertThat(SlotHash.getSlot(RedisKeys.counter(keyDaily.counterId()))).isEqualTo(slot);
    assertThat(inspector.redis().exists(RedisKeys.reservation(id))).isEqualTo(1);
  }

  @Test
  void scriptFlushMidRunFallsBackToEvalWithoutFailingACall() throws Exception {
    BudgetLimit limit = daily("key_daily", unique("key:a"), Long.MAX_VALUE / 4);
    AtomicLong reserved = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 300; i++) {
                    ledger.reserve(request(unique("r"), 10, limit));
                    reserved.addAndGet(10);
                    if (i % 100 == 50) {
                      inspector.redis().scriptFlush();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(); // a NOSCRIPT that was not handled would surface here
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(ledger.counter(limit).reservedMicros()).isEqualTo(reserved.get()).isEqualTo(24_000);
    assertThat(inspector.redis().scriptExists(RedisFixtures.sha1(RedisFixtures.script("reserve"))))
        .containsExactly(true);
  }
}
