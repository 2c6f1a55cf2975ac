package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisKeys;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisDedupCacheIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final int INSTANCES = 3;
  private static final List<RedisStore> stores = new ArrayList<>();
  private static final List<RedisDedupCache> caches = new ArrayList<>();
  private static RedisFixtures.Inspector inspector;

  private static final StoredResponse RESPONSE =
      new StoredResponse(
          201,
          List.of(Map.entry("content-type", "application/json"), Map.entry("x-request-id", "r1")),
          new byte[] {'{', '}', 0, (byte) 0xff, (byte) 0xc3, 10});

  @BeforeAll
  static void start() {
    // a long poll: a waiter that wakes quickly was woken by the change message
    RedisSettings settings = RedisFixtures.RELAXED.withDedupPoll(Duration.ofSeconds(10));
    for (int i = 0; i < INSTANCES; i++) {
      RedisStore store = RedisStore.connect(REDIS.uri(), settings, RedisFixtures.CLOCK);
      stores.add(store);
      caches.add(new RedisDedupCache(store));
    }
    inspector = new RedisFixtures.Inspector(REDIS.uri());
  }

  @AfterAll
  static void stop() {
    inspector.close();
    caches.forEach(RedisDedupCache::close);
    stores.forEach(RedisStore::close);
  }

  @Test
  void originalWinsRetryWaitsThenGetsTheStoredResponse() {
    RedisDedupCache a = caches.get(0);
    RedisDedupCache b = caches.get(1);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    Claim won = a.claim(fp, now, now.plusSeconds(60));
    assertThat(won).isInstanceOf(Claim.Won.class);
    assertThat(b.claim(fp, now, now.plusSeconds(60))).isEqualTo(new Claim.InFlight());

    a.complete(fp, ((Claim.Won) won).token(), RESPONSE);
    Claim replay = b.claim(fp, now.plusSeconds(1), now.plusSeconds(61));
    assertThat(replay).isInstanceOf(Claim.Completed.class);
    StoredResponse r = ((Claim.Completed) replay).response();
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.headers()).isEqualTo(RESPONSE.headers());
    assertThat(r.body()).isEqualTo(RESPONSE.body());
  }

  @Test
  void entryLivesUntilItsExpiryByTheCallersClockAndCarriesARedisTtl() {
    RedisDedupCache a = caches.get(0);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    Claim won = a.claim(fp, now, now.plusSeconds(60));
    a.complete(fp, ((Claim.Won) won).token(), RESPONSE);
    assertThat((double) inspector.redis().pttl(RedisKeys.dedup(fp)))
        .isCloseTo(60_000, within(5_000.0));
    assertThat(a.claim(fp, now.plusSeconds(59), now.plusSeconds(119)))
        .isInstanceOf(Claim.Completed.class);
    assertThat(a.claim(fp, now.plusSeconds(60), now.plusSeconds(120)))
        .as("dead at its expiry")
        .isInstanceOf(Claim.Won.class);
  }

  @Test
  void onlyTheOwningTokenCanAbandonOrComplete() {
    RedisDedupCache a = caches.get(0);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    Claim.Won won = (Claim.Won) a.claim(fp, now, now.plusSeconds(60));
    a.abandon(fp, "not-the-token");
    a.complete(fp, "not-the-token", RESPONSE);
    assertThat(a.claim(fp, now, now.plusSeconds(60))).isEqualTo(new Claim.InFlight());

    a.abandon(fp, won.token());
    Claim again = caches.get(2).claim(fp, now, now.plusSeconds(60));
    assertThat(again).as("a failed original does not block a retry").isInstanceOf(Claim.Won.class);
    a.complete(fp, won.token(), RESPONSE); // the old token no longer owns the entry
    assertThat(a.claim(fp, now, now.plusSeconds(60))).isEqualTo(new Claim.InFlight());
  }

  @Test
  void concurrentIdenticalClaimsOnThreeInstancesHaveExactlyOneWinner() throws Exception {
    int threads = 48;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 30; round++) {
        String fp = unique("fp");
        Instant now = RedisFixtures.CLOCK.instant();
        CyclicBarrier go = new CyclicBarrier(threads);
        List<Future<Claim>> claims = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          RedisDedupCache cache = caches.get(t % INSTANCES);
          claims.add(
              pool.submit(
                  () -> {
                    go.await();
                    return cache.claim(fp, now, now.plusSeconds(60));
                  }));
        }
        int won = 0;
        int inFlight = 0;
        for (Future<Claim> c : claims) {
          Claim claim = c.get();
          won += claim instanceof Claim.Won ? 1 : 0;
          inFlight += claim instanceof Claim.InFlight ? 1 : 0;
        }
        assertThat(won).as("round %d", round).isEqualTo(1);
        assertThat(inFlight).isEqualTo(threads - 1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void waiterOnAnotherInstanceWakesWhenTheOriginalCompletes() throws Exception {
    RedisDedupCache a = caches.get(0);
    RedisDedupCache b = caches.get(1);
    String fp = unique("fp");
    Instant now = RedisFixtures.CLOCK.instant();
    Claim.Won won = (Claim.Won) a.claim(fp, now, now.plusSeconds(60));
    CountDownLatch waiting = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Long> woke =
          pool.submit(
              () -> {
                waiting.countDown();
                long start = System.nanoTime();
                b.awaitChange(fp, Duration.ofSeconds(10));
                return (System.nanoTime() - start) / 1_000_000;
              });
      assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(100); // let the waiter block (a late wait returns at once: also correct)
      a.complete(fp, won.token(), RESPONSE);
      assertThat(woke.get(5, TimeUnit.SECONDS)).as("ms until woken").isLessThan(2_000);
    } finally {
      pool.shutdownNow();
    }
    assertThat(b.claim(fp, now, now.plusSeconds(60))).isInstanceOf(Claim.Completed.class);
  }

  @Test
  void awaitChangeReturnsAtOnceWhenNothingIsInFlight() throws Exception {
    long start = System.nanoTime();
    caches.get(0).awaitChange(unique("fp"), Duration.ofSeconds(10));
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
  }
}
