package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.daily;
import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three ledger instances, each with its own connection, 64 threads, 10,000 reserve attempts of
 * random cost against two keys' daily caps and one fleet budget they share, for 20 seeds. Every
 * 20th attempt repeats the previous attempt's reservation id on another instance.
 */
class RedisLedgerExactnessIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final int INSTANCES = 3;
  private static final int THREADS = 64;
  private static final int ATTEMPTS = 10_000;
  private static final int SEEDS = 20;
  private static final long MAX_COST = 50_000;

  private static final List<RedisStore> stores = new ArrayList<>();
  private static final List<RedisLedger> ledgers = new ArrayList<>();

  @BeforeAll
  static void start() {
    for (int i = 0; i < INSTANCES; i++) {
      RedisStore store = RedisFixtures.store(REDIS.uri());
      stores.add(store);
      ledgers.add(new RedisLedger(store, new InMemorySpendRecord()));
    }
    ledgers.get(0).rebuild();
  }

  @AfterAll
  static void stop() {
    ledgers.forEach(RedisLedger::close);
    stores.forEach(RedisStore::close);
  }

  @Test
  void reservedSpendNeverExceedsACapAndStopsWithinOneCallOfIt() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      long started = System.nanoTime();
      for (int seed = 1; seed <= SEEDS; seed++) {
        runSeed(seed, pool);
      }
      System.out.printf(
          "exactness: %d seeds x %d attempts, %d threads, %d instances in %d ms%n",
          SEEDS, ATTEMPTS, THREADS, INSTANCES, (System.nanoTime() - started) / 1_000_000);
    } finally {
      pool.shutdownNow();
    }
  }

  private void runSeed(int seed, ExecutorService pool) throws Exception {
    Random rnd = new Random(seed);
    String run = unique("s" + seed);
    BudgetLimit[] keyCaps = {
      daily("key_daily", "key:a_" + run, 30_000_000 + rnd.nextInt(60_000_000)),
      daily("key_daily", "key:b_" + run, 30_000_000 + rnd.nextInt(60_000_000))
    };
    BudgetLimit fleet =
        daily("eng-fleet", "budget:eng_" + run, 60_000_000 + rnd.nextInt(90_000_000));
    long[] cost = new long[ATTEMPTS];
    int[] key = new int[ATTEMPTS];
    String[] ids = new String[ATTEMPTS];
    for (int i = 0; i < ATTEMPTS; i++) {
      boolean repeat = i % 20 == 19;
      cost[i] = repeat ? cost[i - 1] : 1 + rnd.nextInt((int) MAX_COST);
      key[i] = repeat ? key[i - 1] : rnd.nextInt(2);
      ids[i] = repeat ? ids[i - 1] : run + "_" + i;
    }
    ReserveOutcome[] outcomes = new ReserveOutcome[ATTEMPTS];
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      workers.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement(); i < ATTEMPTS; i = next.getAndIncrement()) {
                  ReserveRequest r =
                      new ReserveRequest(
                          ids[i],
                          "k" + key[i],
                          List.of(keyCaps[key[i]], fleet),
                          cost[i],
                          RedisFixtures.CLOCK.instant());
                  outcomes[i] = ledgers.get(i % INSTANCES).reserve(r);
                }
                return null;
              }));
    }
    for (Future<?> w : workers) {
      w.get();
    }

    long[] reservedByKey = new long[2];
    Map<String, Long> smallestRefusal = new HashMap<>();
    int refusals = 0;
    for (int i = 0; i < ATTEMPTS; i++) {
      ReserveOutcome o = outcomes[i];
      if (i % 20 == 19) {
        assertThat(o).as("seed %d: repeated id %s", seed, ids[i]).isEqualTo(outcomes[i - 1]);
        continue;
      }
      if (o instanceof ReserveOutcome.Reserved) {
        reservedByKey[key[i]] += cost[i];
      } else {
        ReserveOutcome.Exhausted no = (ReserveOutcome.Exhausted) o;
        refusals++;
        assertThat(no.spentMicros() + no.requestedMicros())
            .as("seed %d: a refusal means the amount did not fit", seed)
            .isGreaterThan(no.limit().capMicros());
        smallestRefusal.merge(no.limit().counterId(), cost[i], Math::min);
      }
    }
    RedisLedger reader = ledgers.get(seed % INSTANCES);
    long a = reader.counter(keyCaps[0]).reservedMicros();
    long b = reader.counter(keyCaps[1]).reservedMicros();
    long f = reader.counter(fleet).reservedMicros();
    // all-or-none: every counter holds exactly what the callers were told was reserved
    assertThat(new long[] {a, b, f})
        .as("seed %d: counters", seed)
        .containsExactly(reservedByKey[0], reservedByKey[1], reservedByKey[0] + reservedByKey[1]);
    assertThat(refusals).as("seed %d: the caps were reached", seed).isPositive();
    for (BudgetLimit limit : List.of(keyCaps[0], keyCaps[1], fleet)) {
      long total = reader.counter(limit).totalMicros();
      assertThat(total)
          .as("seed %d: %s within its cap", seed, limit.scope())
          .isLessThanOrEqualTo(limit.capMicros());
      Long smallest = smallestRefusal.get(limit.counterId());
      if (smallest != null) {
        assertThat(limit.capMicros() - total)
            .as(
                "seed %d: %s stops less than the smallest refused call below its cap",
                seed, limit.scope())
            .isLessThan(smallest);
      }
    }
  }
}
