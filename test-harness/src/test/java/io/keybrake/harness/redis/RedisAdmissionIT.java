package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.store.redis.RedisAdmission;
import io.keybrake.store.redis.RedisDedupCache;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fleet's admission: a claim and a reservation are made together (one script) or not at all, a
 * settlement keeps the response for replay (one script), and a ticket finishes exactly once.
 */
class RedisAdmissionIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final StoredResponse RESPONSE =
      new StoredResponse(
          201, List.of(Map.entry("content-type", "application/json")), "{}".getBytes());

  private static final List<AutoCloseable> open = new ArrayList<>();
  private static RedisFixtures.Inspector inspector;
  private static final List<RedisAdmission> instances = new ArrayList<>();
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
      instances.add(new RedisAdmission(store, cache, l));
      if (ledger == null) {
        ledger = l;
      }
    }
    inspector = new RedisFixtures.Inspector(REDIS.uri());
  }

  @AfterAll
  static void stop() throws Exception {
    inspector.close();
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private static Admit admit(RedisAdmission a, String fp, long amount, BudgetLimit cap) {
    Instant now = RedisFixtures.CLOCK.instant();
    return Stages.join(
        a.admit(fp, now.plusSeconds(60), RedisFixtures.request(unique("r"), amount, cap)));
  }

  /**
   * Redis memory grows with the reservations it keeps: one whose outcome is final (settled at the
   * vendor's price, released, or adjusted to it later) leaves within the hour; one settled at an
   * estimate stays as long as it was reserved for (two days), for the vendor's price to adjust it.
   */
  @Test
  void aFinalOutcomeLeavesRedisWithinTheHourAnEstimateStaysForItsPrice() {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 1_000_000);
    long hour = java.time.Duration.ofHours(1).toMillis();
    long twoDays = java.time.Duration.ofHours(47).toMillis(); // the retention, less some slack

    Ticket priced = ((Admit.Admitted) admit(instances.get(0), unique("fp"), 100, cap)).ticket();
    Stages.join(priced.settle(90, true, RESPONSE, () -> {}));
    Ticket released = ((Admit.Admitted) admit(instances.get(0), null, 100, cap)).ticket();
    Stages.join(released.release());
    Ticket estimated = ((Admit.Admitted) admit(instances.get(0), unique("fp"), 100, cap)).ticket();
    Stages.join(estimated.settle(100, false, RESPONSE, () -> {}));
    Ticket noClaim = ((Admit.Admitted) admit(instances.get(0), null, 100, cap)).ticket();
    Stages.join(noClaim.settle(100, false, null, () -> {}));

    assertThat(ttl(priced)).as("settled at the vendor's price").isBetween(1L, hour);
    assertThat(ttl(released)).as("released").isBetween(1L, hour);
    assertThat(ttl(estimated)).as("settled at an estimate").isGreaterThan(twoDays);
    assertThat(ttl(noClaim)).as("settled at an estimate, no dedup").isGreaterThan(twoDays);
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(290, 0));

    // the vendor's price arrives: the estimate is adjusted, and its reservation is final too
    assertThat(ledger.adjust(estimated.reservation().reservationId(), 80)).isTrue();
    assertThat(ttl(estimated)).as("adjusted").isBetween(1L, hour);
    assertThat(ledger.adjust(noClaim.reservation().reservationId(), 100))
        .as("priced at the estimate: nothing to change")
        .isFalse();
    assertThat(ttl(noClaim)).as("priced at its estimate").isBetween(1L, hour);
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(270, 0));
  }

  private static long ttl(Ticket t) {
    return inspector
        .redis()
        .pttl(io.keybrake.store.redis.RedisKeys.reservation(t.reservation().reservationId()));
  }

  @Test
  void anAdmittedCallReservesAndItsDuplicateWaitsThenReplaysWithoutReserving() {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 10_000);
    String fp = unique("fp");
    RedisAdmission a = instances.get(0);
    RedisAdmission b = instances.get(1);

    Admit first = admit(a, fp, 3_000, cap);
    assertThat(first).isInstanceOf(Admit.Admitted.class);
    assertThat(admit(b, fp, 3_000, cap)).isEqualTo(new Admit.InFlight());
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 3_000));

    AtomicInteger alongside = new AtomicInteger();
    Stages.join(
        ((Admit.Admitted) first)
            .ticket()
            .settle(2_500, true, RESPONSE, alongside::incrementAndGet));
    assertThat(alongside).hasValue(1);
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(2_500, 0));
    Admit replay = admit(b, fp, 3_000, cap);
    assertThat(replay).isInstanceOf(Admit.Replay.class);
    assertThat(((Admit.Replay) replay).response().body()).isEqualTo("{}".getBytes());
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(2_500, 0));
  }

  @Test
  void anExhaustedBudgetKeepsNoClaimSoARetryMayGoOnceThereIsRoom() {
    String scope = unique("key");
    BudgetLimit tight = RedisFixtures.daily("key_daily", scope, 1_000);
    String fp = unique("fp");
    RedisAdmission a = instances.get(0);

    Admit refused = admit(a, fp, 1_500, tight);
    assertThat(refused).isInstanceOf(Admit.Exhausted.class);
    Admit.Exhausted no = (Admit.Exhausted) refused;
    assertThat(no.capMicros()).isEqualTo(1_000);
    assertThat(no.spentMicros()).isZero();
    assertThat(no.requestedMicros()).isEqualTo(1_500);
    assertThat(ledger.counter(tight)).isEqualTo(new CounterSnapshot(0, 0));

    // the same call under a bigger cap: the fingerprint is free, so it claims and reserves
    BudgetLimit roomy = RedisFixtures.daily("key_daily", scope + "_roomy", 2_000);
    assertThat(admit(a, fp, 1_500, roomy)).isInstanceOf(Admit.Admitted.class);
  }

  @Test
  void aReleasedCallLetsItsRetryThroughAndAnUnknownOutcomeDoesNot() {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 10_000);
    RedisAdmission a = instances.get(0);
    String released = unique("fp");
    Stages.join(((Admit.Admitted) admit(a, released, 1_000, cap)).ticket().release());
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 0));
    assertThat(admit(a, released, 1_000, cap)).isInstanceOf(Admit.Admitted.class);

    String failed = unique("fp"); // a 5xx: counted, but a retry may go
    Stages.join(
        ((Admit.Admitted) admit(a, failed, 1_000, cap)).ticket().keepUnsettled(true, () -> {}));
    assertThat(admit(a, failed, 1_000, cap)).isInstanceOf(Admit.Admitted.class);

    String unknown = unique("fp"); // the stream died: no retry reaches the vendor
    Stages.join(((Admit.Admitted) admit(a, unknown, 1_000, cap)).ticket().keepUnsettled());
    assertThat(admit(a, unknown, 1_000, cap)).isEqualTo(new Admit.InFlight());
    assertThat(ledger.counter(cap).reservedMicros()).isEqualTo(4_000);
  }

  @Test
  void aTicketFinishesOnceAndASecondFinishTouchesNothing() {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 10_000);
    Ticket ticket = ((Admit.Admitted) admit(instances.get(0), null, 1_000, cap)).ticket();
    Stages.join(ticket.settle(800, null));
    assertThatThrownBy(ticket::release).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ticket.settle(900, null)).isInstanceOf(IllegalStateException.class);
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(800, 0));
  }

  @Test
  void concurrentIdenticalCallsOnThreeInstancesReserveExactlyOnce() throws Exception {
    BudgetLimit cap = RedisFixtures.daily("key_daily", unique("key"), 1_000_000);
    String fp = unique("fp");
    int callers = 24;
    CyclicBarrier go = new CyclicBarrier(callers);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<Admit>> results = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        RedisAdmission inst = instances.get(i % instances.size());
        Callable<Admit> call =
            () -> {
              go.await(5, TimeUnit.SECONDS);
              return admit(inst, fp, 7_000, cap);
            };
        results.add(pool.submit(call));
      }
      int won = 0;
      for (Future<Admit> f : results) {
        Admit r = f.get(10, TimeUnit.SECONDS);
        if (r instanceof Admit.Admitted) {
          won++;
        } else {
          assertThat(r).isEqualTo(new Admit.InFlight());
        }
      }
      assertThat(won).isEqualTo(1);
      assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 7_000));
    } finally {
      pool.shutdownNow();
    }
  }
}
