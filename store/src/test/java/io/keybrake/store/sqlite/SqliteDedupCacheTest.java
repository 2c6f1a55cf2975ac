package io.keybrake.store.sqlite;

import static io.keybrake.store.sqlite.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDedupCacheTest {
  private static final Instant EXPIRES = T0.plusSeconds(60);
  private static final StoredResponse RESPONSE =
      new StoredResponse(
          201,
          List.of(
              Map.entry("content-type", "application/json"),
              Map.entry("set-cookie", "a=1"),
              Map.entry("set-cookie", "b=2")),
          "{\"sid\":\"SM123\"}".getBytes(StandardCharsets.UTF_8));

  @TempDir Path dir;
  private SqliteDatabase db;
  private SqliteDedupCache cache;

  @BeforeEach
  void open() {
    db = SqliteDatabase.open(dir);
    cache = new SqliteDedupCache(db);
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void firstClaimWinsAndAnIdenticalCallSeesItInFlight() {
    Claim first = cache.claim("fp1", T0, EXPIRES);
    Claim second = cache.claim("fp1", T0.plusSeconds(1), EXPIRES.plusSeconds(1));

    assertThat(first).isInstanceOf(Claim.Won.class);
    assertThat(second).isInstanceOf(Claim.InFlight.class);
    assertThat(cache.claim("fp2", T0, EXPIRES)).isInstanceOf(Claim.Won.class);
  }

  @Test
  void completedResponseIsReplayedVerbatimUntilExpiry() {
    Claim.Won won = (Claim.Won) cache.claim("fp1", T0, EXPIRES);
    cache.complete("fp1", won.token(), RESPONSE);

    Claim replay = cache.claim("fp1", T0.plusSeconds(59), EXPIRES.plusSeconds(59));

    assertThat(replay).isInstanceOf(Claim.Completed.class);
    StoredResponse r = ((Claim.Completed) replay).response();
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.headers()).isEqualTo(RESPONSE.headers());
    assertThat(r.body()).isEqualTo(RESPONSE.body());
    assertThat(cache.claim("fp1", EXPIRES, EXPIRES.plusSeconds(60))).isInstanceOf(Claim.Won.class);
  }

  @Test
  void deadInFlightEntryIsReplaced() {
    Claim.Won stale = (Claim.Won) cache.claim("fp1", T0, EXPIRES);

    Claim.Won fresh =
        (Claim.Won) cache.claim("fp1", EXPIRES.plusSeconds(1), EXPIRES.plusSeconds(61));
    cache.complete("fp1", stale.token(), RESPONSE);

    assertThat(fresh.token()).isNotEqualTo(stale.token());
    assertThat(cache.claim("fp1", EXPIRES.plusSeconds(2), EXPIRES.plusSeconds(62)))
        .isInstanceOf(Claim.InFlight.class);
  }

  @Test
  void abandonLetsARetryGoButOnlyWithTheRightToken() {
    Claim.Won won = (Claim.Won) cache.claim("fp1", T0, EXPIRES);

    cache.abandon("fp1", "not-the-token");
    assertThat(cache.claim("fp1", T0, EXPIRES)).isInstanceOf(Claim.InFlight.class);

    cache.abandon("fp1", won.token());
    assertThat(cache.claim("fp1", T0, EXPIRES)).isInstanceOf(Claim.Won.class);
  }

  @Test
  void awaitChangeWakesWhenTheOriginalCompletes() throws Exception {
    Claim.Won won = (Claim.Won) cache.claim("fp1", T0, EXPIRES);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<Claim> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  cache.awaitChange("fp1", Duration.ofMinutes(5));
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                return cache.claim("fp1", T0.plusSeconds(1), EXPIRES);
              },
              pool);

      await().atMost(Duration.ofSeconds(30)).until(() -> cache.hasWaiter("fp1"));
      assertThat(waiter).isNotDone();
      cache.complete("fp1", won.token(), RESPONSE);

      assertThat(waiter.get(30, TimeUnit.SECONDS)).isInstanceOf(Claim.Completed.class);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void awaitChangeWakesWhenTheOriginalIsAbandoned() throws Exception {
    Claim.Won won = (Claim.Won) cache.claim("fp1", T0, EXPIRES);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<Claim> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  cache.awaitChange("fp1", Duration.ofMinutes(5));
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                return cache.claim("fp1", T0.plusSeconds(1), EXPIRES);
              },
              pool);

      await().atMost(Duration.ofSeconds(30)).until(() -> cache.hasWaiter("fp1"));
      cache.abandon("fp1", won.token());

      assertThat(waiter.get(30, TimeUnit.SECONDS)).isInstanceOf(Claim.Won.class);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void awaitChangeReturnsAtOnceWhenNothingIsInFlight() throws Exception {
    Claim.Won won = (Claim.Won) cache.claim("fp1", T0, EXPIRES);
    cache.complete("fp1", won.token(), RESPONSE);

    long start = System.nanoTime();
    cache.awaitChange("fp1", Duration.ofMinutes(5));
    cache.awaitChange("never-claimed", Duration.ofMinutes(5));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void awaitChangeIsBoundedByMaxWait() throws Exception {
    cache.claim("fp1", T0, EXPIRES);

    cache.awaitChange("fp1", Duration.ofMillis(20));

    assertThat(cache.claim("fp1", T0, EXPIRES)).isInstanceOf(Claim.InFlight.class);
  }

  @Test
  void entriesSurviveReopenAndExpiredOnesArePurged() {
    Claim.Won won = (Claim.Won) cache.claim("fp1", T0, EXPIRES);
    cache.complete("fp1", won.token(), RESPONSE);
    cache.claim("fp2", T0, T0.plusSeconds(5));
    db.close();

    db = SqliteDatabase.open(dir);
    cache = new SqliteDedupCache(db);

    assertThat(cache.claim("fp1", T0.plusSeconds(1), EXPIRES)).isInstanceOf(Claim.Completed.class);
    assertThat(cache.purgeExpired(T0.plusSeconds(10))).isEqualTo(1);
    assertThat(cache.claim("fp1", T0.plusSeconds(11), EXPIRES)).isInstanceOf(Claim.Completed.class);
  }

  @Test
  void purgeRemovesEveryExpiredEntryAcrossBatches() {
    for (int i = 0; i < 1001; i++) {
      cache.claim("old" + i, T0, T0.plusSeconds(1));
    }
    cache.claim("live", T0, T0.plusSeconds(100));

    assertThat(cache.purgeExpired(T0.plusSeconds(2))).isEqualTo(1001);
    assertThat(cache.purgeExpired(T0.plusSeconds(2))).isZero();
    assertThat(cache.claim("live", T0.plusSeconds(3), T0.plusSeconds(63)))
        .isInstanceOf(Claim.InFlight.class);
  }
}
