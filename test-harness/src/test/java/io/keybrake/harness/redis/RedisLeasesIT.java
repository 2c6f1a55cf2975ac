package io.keybrake.harness.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.store.redis.RedisLeases;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Housekeeping leases in a real Redis, between two instances. */
class RedisLeasesIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private RedisStore a;
  private RedisStore b;
  private RedisLeases first;
  private RedisLeases second;

  @BeforeEach
  void twoInstances() {
    a = RedisFixtures.store(REDIS.uri());
    b = RedisFixtures.store(REDIS.uri());
    first = new RedisLeases(a);
    second = new RedisLeases(b);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  @Test
  void oneInstanceHoldsAJobsLeaseExtendsItAndHandsItOverWhenItGivesItUp() {
    String job = RedisFixtures.unique("job_");
    assertThat(first.hold(job, Duration.ofMinutes(1))).isTrue();
    assertThat(second.hold(job, Duration.ofMinutes(1))).as("held by the first").isFalse();
    assertThat(first.hold(job, Duration.ofMinutes(1))).as("the holder extends it").isTrue();
    assertThat(second.hold(RedisFixtures.unique("other_"), Duration.ofMinutes(1)))
        .as("another job's lease is free")
        .isTrue();

    second.release(job); // not the holder: changes nothing
    assertThat(second.hold(job, Duration.ofMinutes(1))).isFalse();

    first.release(job);
    assertThat(second.hold(job, Duration.ofMinutes(1))).as("given up: taken at once").isTrue();
    assertThat(first.hold(job, Duration.ofMinutes(1))).isFalse();
  }

  @Test
  void aLeaseItsHolderStopsExtendingRunsOutAndAnotherInstanceTakesIt() {
    String job = RedisFixtures.unique("job_");
    RedisLeases crashed = first;
    RedisLeases survivor = second;
    assertThat(crashed.hold(job, Duration.ofMillis(300))).isTrue();

    // Redis expires the key: the survivor gets it once 300 ms passed (polled, bounded)
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    boolean taken = false;
    while (!taken && System.nanoTime() < deadline) {
      taken = survivor.hold(job, Duration.ofMinutes(1));
      if (!taken) {
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
    }
    assertThat(taken).isTrue();
    assertThat(crashed.hold(job, Duration.ofMinutes(1))).as("its old holder lost it").isFalse();
  }
}
