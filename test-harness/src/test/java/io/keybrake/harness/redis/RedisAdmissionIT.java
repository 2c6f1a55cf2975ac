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
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private static Admit admit(RedisAdmission a, String fp, long amount, BudgetLimit cap) {
    Instant now = RedisFixtures.CLOCK.instant();
    return Stages.join(
        a.admit(fp, now.plusSeconds(60), RedisFixtures.request(unique("r"), amount, cap)));
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
        ((Admit.Admitted) first).ticket().settle(2_500, RESPONSE, alongside::incrementAndGet));
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
