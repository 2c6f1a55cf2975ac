package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.daily;
import static io.keybrake.harness.redis.RedisFixtures.request;
import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.harness.net.StallingProxy;
import io.keybrake.store.redis.RedisAdmission;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisKeys;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Redis answer held back past the command deadline (a proxy that stalls 300 ms): the caller is
 * refused, the reservation Redis did make is released as soon as the answer arrives, the breaker
 * stays closed (one late answer is not an outage), and the next calls succeed.
 */
class RedisLostAnswerIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final Duration DEADLINE = Duration.ofMillis(150);
  private static final Duration STALL = Duration.ofMillis(300);

  private StallingProxy proxy;
  private RedisStore store;
  private RedisLedger ledger;
  private RedisDedupCache cache;
  private RedisAdmission admission;
  private RedisFixtures.Inspector inspector;

  @BeforeEach
  void start() {
    proxy = StallingProxy.to(REDIS.server().port());
    RedisSettings settings = RedisSettings.defaults().withCommandTimeout(DEADLINE);
    // the first commands of a cold JVM may be slow: warm up before the test's calls
    store =
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(
                () -> RedisStore.connect(proxy.redisUri(), settings, RedisFixtures.CLOCK),
                s -> s != null);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> ping(store));
    ledger = RedisFixtures.readyLedger(store);
    cache = new RedisDedupCache(store);
    admission = new RedisAdmission(store, cache, ledger);
    inspector = new RedisFixtures.Inspector(REDIS.uri());
  }

  private static boolean ping(RedisStore s) {
    s.ping();
    return true;
  }

  @AfterEach
  void stop() {
    inspector.close();
    cache.close();
    ledger.close();
    store.close();
    proxy.close();
  }

  @Test
  void aReserveWhoseAnswerIsLateIsRefusedAndReleasedOnceRedisAnswers() {
    BudgetLimit cap = daily("key_daily", unique("key"), 10_000_000);
    assertThat(ledger.reserve(request(unique("r"), 1_000, cap)))
        .isInstanceOf(ReserveOutcome.Reserved.class);

    String lost = unique("r");
    long before = proxy.answerBytes();
    proxy.stallAnswers(STALL);
    assertThatThrownBy(() -> ledger.reserve(request(lost, 5_000, cap)))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("did not answer");

    // Redis ran the reserve; once its answer arrives the reservation is released
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(proxy.answerBytes()).isGreaterThan(before);
              assertThat(ledger.lostReservesPending()).isZero();
              assertThat(inspector.redis().hget(RedisKeys.reservation(lost), "state"))
                  .isEqualTo("released");
            });
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 1_000));
    assertThat(store.circuit()).isEqualTo(RedisStore.Circuit.CLOSED);
    assertThat(ledger.reserve(request(unique("r"), 2_000, cap)))
        .isInstanceOf(ReserveOutcome.Reserved.class);
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 3_000));
  }

  /**
   * A settlement Redis refuses with an error (here: its reservation's amount made unreadable) is
   * deferred and can never apply; a lost reserve queued after it is still released, where the queue
   * once stopped at its first entry for good.
   */
  @Test
  void aSettlementRedisRefusesDoesNotHoldBackTheReleaseOfALostReserve() {
    BudgetLimit broken = daily("key_daily", unique("key"), 10_000_000);
    BudgetLimit cap = daily("key_daily", unique("key"), 10_000_000);
    String refused = unique("r");
    ledger.reserve(request(refused, 1_000, broken));
    inspector.redis().hset(RedisKeys.reservation(refused), "amount", "not a number");
    ledger.settle(refused, 1_000); // refused for its patience, then deferred
    assertThat(ledger.lostReservesPending()).isEqualTo(1);

    String lost = unique("r");
    proxy.stallAnswers(STALL);
    assertThatThrownBy(() -> ledger.reserve(request(lost, 5_000, cap)))
        .isInstanceOf(StoreUnavailableException.class);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(inspector.redis().hget(RedisKeys.reservation(lost), "state"))
                    .isEqualTo("released"));
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 0));
    assertThat(ledger.lostReservesPending()).as("the refused settlement still waits").isEqualTo(1);
    assertThat(store.circuit()).isEqualTo(RedisStore.Circuit.CLOSED);
  }

  @Test
  void aLostClaimAndReserveKeepsNeitherTheBudgetNorTheClaimSoTheRetryGoes() {
    BudgetLimit cap = daily("key_daily", unique("key"), 10_000_000);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    proxy.stallAnswers(STALL);
    assertThatThrownBy(
            () ->
                Stages.join(
                    admission.admit(fp, now.plusSeconds(60), request(unique("r"), 5_000, cap))))
        .isInstanceOf(StoreUnavailableException.class);

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(ledger.lostReservesPending()).isZero());
    assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 0));

    assertThat(
            Stages.join(admission.admit(fp, now.plusSeconds(60), request(unique("r"), 5_000, cap))))
        .isInstanceOf(Admit.Admitted.class);
  }
}
