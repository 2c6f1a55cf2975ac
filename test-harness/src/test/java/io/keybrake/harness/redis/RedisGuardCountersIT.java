package io.keybrake.harness.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.guard.GuardCounters;
import io.keybrake.core.guard.GuardCounters.Once;
import io.keybrake.core.guard.GuardCounters.Step;
import io.keybrake.store.redis.RedisGuardCounters;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The guards' counters in a real Redis, shared by several instances. */
class RedisGuardCountersIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  static final Instant HOUR = Instant.parse("2026-11-22T12:00:00Z");

  @Test
  void twoInstancesTogetherLetExactlyTheLimitThrough() throws Exception {
    String key = RedisFixtures.unique("key_");
    try (RedisStore a =
            RedisStore.connect(REDIS.uri(), RedisFixtures.RELAXED, RedisFixtures.CLOCK);
        RedisStore b =
            RedisStore.connect(REDIS.uri(), RedisFixtures.RELAXED, RedisFixtures.CLOCK)) {
      List<GuardCounters> instances = List.of(new RedisGuardCounters(a), new RedisGuardCounters(b));
      // counters expire relative to the caller's clock: a window ending in an hour from now
      Instant now = Instant.now();
      Step dest = new Step("dest|x|1", 1, 20, now.plus(Duration.ofHours(1)), Optional.empty());
      ExecutorService pool = Executors.newFixedThreadPool(4);
      AtomicInteger passed = new AtomicInteger();
      try {
        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          GuardCounters c = instances.get(i % 2);
          calls.add(
              pool.submit(
                  () -> {
                    if (c.count(key, List.of(dest), true, now).exceeded() < 0) {
                      passed.incrementAndGet();
                    }
                  }));
        }
        for (Future<?> f : calls) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      assertThat(passed.get()).isEqualTo(20);
      GuardCounters.Tally t = instances.get(0).count(key, List.of(dest), true, now);
      assertThat(t.exceeded()).isZero();
      assertThat(t.totals()[0]).isEqualTo(20);
    }
  }

  @Test
  void aLiveMarkerSkipsTheStepAndAnOverLimitStepAddsNothingElsewhere() {
    String key = RedisFixtures.unique("key_");
    try (RedisStore s =
        RedisStore.connect(REDIS.uri(), RedisFixtures.RELAXED, RedisFixtures.CLOCK)) {
      GuardCounters c = new RedisGuardCounters(s);
      Instant now = Instant.now();
      Instant end = now.plus(Duration.ofHours(1));
      Step same = new Step("same", 1, 10, end, Optional.of(new Once("m", Duration.ofMinutes(5))));
      assertThat(c.count(key, List.of(same), true, now).totals()[0]).isOne();
      assertThat(c.count(key, List.of(same), true, now).totals()[0]).isOne();

      Step full = new Step("full", 1, 1, end, Optional.empty());
      Step other = new Step("other", 1, 5, end, Optional.empty());
      c.count(key, List.of(full), true, now);
      GuardCounters.Tally t = c.count(key, List.of(other, full), true, now);
      assertThat(t.exceeded()).isEqualTo(1);
      assertThat(t.totals()[0]).isZero();
      // without enforcing, every step is added
      GuardCounters.Tally shadow = c.count(key, List.of(other, full), false, now);
      assertThat(shadow.exceeded()).isEqualTo(1);
      assertThat(shadow.totals()).containsExactly(1, 2);
    }
  }
}
