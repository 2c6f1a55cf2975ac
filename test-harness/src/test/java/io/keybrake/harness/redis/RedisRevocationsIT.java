package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keybrake.store.redis.RedisRevocations;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three instances hear every revocation; a subscriber that loses Redis says so. */
class RedisRevocationsIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final int INSTANCES = 3;

  /** One instance: its store, subscriber, arrival times and disconnect count. */
  private static final class Instance {
    final RedisStore store;
    final RedisRevocations revocations;
    final Map<String, Long> heard = new ConcurrentHashMap<>();
    final Map<String, CountDownLatch> expected;
    final AtomicInteger disconnects = new AtomicInteger();

    Instance(RedisSettings settings, Map<String, CountDownLatch> expected) {
      this.expected = expected;
      store = RedisStore.connect(REDIS.uri(), settings, RedisFixtures.CLOCK);
      revocations =
          new RedisRevocations(
              store,
              id -> {
                heard.put(id, System.nanoTime());
                CountDownLatch l = expected.get(id);
                if (l != null) {
                  l.countDown();
                }
              },
              disconnects::incrementAndGet);
    }

    void close() {
      revocations.close();
      store.close();
    }
  }

  private final Map<String, CountDownLatch> expected = new ConcurrentHashMap<>();
  private final List<Instance> instances = new ArrayList<>();

  @BeforeEach
  void start() {
    if (!REDIS.server().isRunning()) {
      REDIS.server().restart();
    }
    RedisSettings settings =
        RedisSettings.defaults()
            .withCommandTimeout(Duration.ofMillis(500))
            .withHeartbeat(Duration.ofMillis(200));
    for (int i = 0; i < INSTANCES; i++) {
      instances.add(new Instance(settings, expected));
    }
  }

  @AfterEach
  void stop() {
    instances.forEach(Instance::close);
  }

  @Test
  void everyInstanceHearsEveryRevocationQuickly() throws Exception {
    RedisRevocations publisher = instances.get(0).revocations;
    int revocations = 200;
    long[] latencies = new long[revocations * INSTANCES];
    int n = 0;
    for (int i = 0; i < revocations; i++) {
      String keyId = unique("key");
      CountDownLatch all = new CountDownLatch(INSTANCES);
      expected.put(keyId, all);
      long sent = System.nanoTime();
      publisher.publish(keyId);
      assertThat(all.await(5, TimeUnit.SECONDS)).as("all instances heard %s", keyId).isTrue();
      for (Instance in : instances) {
        latencies[n++] = in.heard.get(keyId) - sent;
      }
    }
    java.util.Arrays.sort(latencies);
    double p50 = latencies[latencies.length / 2] / 1e6;
    double p99 = latencies[(int) (latencies.length * 0.99)] / 1e6;
    double max = latencies[latencies.length - 1] / 1e6;
    System.out.printf(
        "revocation publish -> callback on %d instances over %d revocations:"
            + " p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        INSTANCES, revocations, p50, p99, max);
    assertThat(p99).as("p99 ms").isLessThan(100);
  }

  @Test
  void subscribersThatLoseRedisDropTheirCachesAndHearAgainAfterReconnect() throws Exception {
    REDIS.server().kill();
    await()
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(
            () ->
                assertThat(instances)
                    .allSatisfy(in -> assertThat(in.disconnects).hasPositiveValue()));
    int[] before = instances.stream().mapToInt(in -> in.disconnects.get()).toArray();

    REDIS.server().restart();
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              for (int i = 0; i < INSTANCES; i++) {
                assertThat(instances.get(i).disconnects.get())
                    .as("cache dropped again on reconnect")
                    .isGreaterThan(before[i]);
              }
            });
    String keyId = unique("key");
    CountDownLatch all = new CountDownLatch(INSTANCES);
    expected.put(keyId, all);
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptions()
        .until(
            () -> {
              instances.get(1).revocations.publish(keyId);
              return all.await(200, TimeUnit.MILLISECONDS);
            });
  }

  @Test
  void aSilentlyHungRedisIsNoticedByTheHeartbeat() {
    try {
      REDIS.server().freeze();
      await()
          .atMost(Duration.ofSeconds(3))
          .untilAsserted(
              () ->
                  assertThat(instances)
                      .allSatisfy(in -> assertThat(in.disconnects).hasPositiveValue()));
    } finally {
      REDIS.server().thaw();
    }
  }
}
