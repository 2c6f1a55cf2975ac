package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.LedgerDedupCache.ClaimAndReservation;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisDedupLedger;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The combined scripts mean exactly their two single steps run back to back: a claim and a
 * reservation are made together or not at all, and a settlement keeps the response for replay.
 */
class RedisDedupLedgerIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final StoredResponse RESPONSE =
      new StoredResponse(
          201, List.of(Map.entry("content-type", "application/json")), "{}".getBytes());

  private static final List<AutoCloseable> open = new ArrayList<>();
  private static final List<RedisDedupLedger> instances = new ArrayList<>();
  private static RedisLedger ledger;

  @BeforeAll
  static void start() {
    for (int i = 0; i < 3; i++) {
      RedisStore store = RedisFixtures.store(REDIS.uri());
      RedisLedger l = RedisFixtures.readyLedger(store);
      RedisDedupCache cache = new RedisDedupCache(store);
      open.add(cache);
      open.add(l);
      open.add(store);
      instances.add(new RedisDedupLedger(store, cache, l));
      if (ledger == null) {
        ledger = l;
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aWonClaimReservesAndItsDuplicateNeitherClaimsNorReserves() {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 10_000);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    RedisDedupLedger a = instances.get(0);
    RedisDedupLedger b = instances.get(1);

    ClaimAndReservation first =
        a.claimAndReserve(
            fp, now, now.plusSeconds(60), RedisFixtures.request(unique("r"), 3_000, cap));
    assertThat(first.claim()).isInstanceOf(Claim.Won.class);
    assertThat(first.reservation()).isInstanceOf(ReserveOutcome.Reserved.class);

    ClaimAndReservation dup =
        b.claimAndReserve(
            fp, now, now.plusSeconds(60), RedisFixtures.request(unique("r"), 3_000, cap));
    assertThat(dup.claim()).isEqualTo(new Claim.InFlight());
    assertThat(dup.reservation()).isNull();
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 3_000));

    String rid = ((ReserveOutcome.Reserved) first.reservation()).reservationId();
    a.settleAndComplete(rid, 2_500, fp, ((Claim.Won) first.claim()).token(), RESPONSE);
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(2_500, 0));
    ClaimAndReservation replay =
        b.claimAndReserve(
            fp, now, now.plusSeconds(60), RedisFixtures.request(unique("r"), 3_000, cap));
    assertThat(replay.claim()).isInstanceOf(Claim.Completed.class);
    assertThat(((Claim.Completed) replay.claim()).response().body()).isEqualTo("{}".getBytes());
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(2_500, 0));
  }

  @Test
  void aRefusedReservationKeepsNoClaimSoARetryMayGoOnceThereIsRoom() {
    String scope = unique("key");
    BudgetLimit tight = RedisFixtures.daily("key_daily", scope, 1_000);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    RedisDedupLedger a = instances.get(0);

    ClaimAndReservation refused =
        a.claimAndReserve(
            fp, now, now.plusSeconds(60), RedisFixtures.request(unique("r"), 1_500, tight));
    assertThat(refused.claim()).isInstanceOf(Claim.Won.class);
    assertThat(refused.reservation()).isInstanceOf(ReserveOutcome.Exhausted.class);
    assertThat(ledger.counter(tight)).isEqualTo(new CounterSnapshot(0, 0));

    // the same call under a bigger cap: the fingerprint is free, so it claims and reserves
    BudgetLimit roomy = RedisFixtures.daily("key_daily", scope + "_roomy", 2_000);
    ClaimAndReservation retry =
        a.claimAndReserve(
            fp, now, now.plusSeconds(60), RedisFixtures.request(unique("r"), 1_500, roomy));
    assertThat(retry.claim()).isInstanceOf(Claim.Won.class);
    assertThat(retry.reservation()).isInstanceOf(ReserveOutcome.Reserved.class);
  }

  @Test
  void concurrentIdenticalCallsOnThreeInstancesReserveExactlyOnce() throws Exception {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 1_000_000);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    int callers = 24;
    CyclicBarrier go = new CyclicBarrier(callers);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<ClaimAndReservation>> results = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        RedisDedupLedger inst = instances.get(i % instances.size());
        Callable<ClaimAndReservation> call =
            () -> {
              go.await(5, TimeUnit.SECONDS);
              return inst.claimAndReserve(
                  fp, now, now.plusSeconds(60), RedisFixtures.request(unique("r"), 7_000, cap));
            };
        results.add(pool.submit(call));
      }
      int won = 0;
      for (Future<ClaimAndReservation> f : results) {
        ClaimAndReservation r = f.get(10, TimeUnit.SECONDS);
        if (r.claim() instanceof Claim.Won) {
          won++;
          assertThat(r.reservation()).isInstanceOf(ReserveOutcome.Reserved.class);
        } else {
          assertThat(r.reservation()).isNull();
        }
      }
      assertThat(won).isEqualTo(1);
      assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 7_000));
    } finally {
      pool.shutdownNow();
    }
  }
}
