package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.daily;
import static io.keybrake.harness.redis.RedisFixtures.request;
import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.RecordedSpend;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.store.redis.RedisAdmission;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisKeys;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failover fence: a ledger whose epoch marker names another Redis server (what a promoted
 * replica holds) is fenced by the first instance that connects, rebuilt from the record plus what
 * Redis still holds, and served again; a reservation the new primary never received is made again
 * when its call settles. The "replica" is simulated on one server by rewriting the marker (and
 * dropping the writes it would have missed), so each step is exact.
 */
class RedisFenceIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private static final String FOREIGN_EPOCH = "f".repeat(40) + "/0-another-server";

  @Test
  void aLedgerBuiltOnAnotherServerIsFencedThenRebuiltKeepingWhatRedisStillHolds() {
    BudgetLimit cap = daily("key_daily", unique("key"), 10_000);
    String open = unique("r");
    String settled = unique("r");
    try (RedisStore storeA = RedisFixtures.store(REDIS.uri());
        RedisLedger a = RedisFixtures.readyLedger(storeA);
        RedisFixtures.Inspector redis = new RedisFixtures.Inspector(REDIS.uri())) {
      String runId = runId(redis);
      assertThat(redis.redis().get(RedisKeys.EPOCH)).startsWith(runId + "/");
      assertThat(a.reserve(request(open, 4_000, cap))).isInstanceOf(ReserveOutcome.Reserved.class);
      assertThat(a.reserve(request(settled, 3_000, cap)))
          .isInstanceOf(ReserveOutcome.Reserved.class);
      a.settle(settled, 3_000);

      // a failover: the new primary holds the data, with a marker another server wrote
      redis.redis().set(RedisKeys.EPOCH, FOREIGN_EPOCH);
      InMemorySpendRecord record = new InMemorySpendRecord();
      record.add(new RecordedSpend(settled, List.of(cap), 3_000, true)); // its audit row
      try (RedisStore storeB = RedisFixtures.store(REDIS.uri());
          RedisLedger b = new RedisLedger(storeB, record)) {
        assertThat(storeB.fencedLedgers()).isEqualTo(1);
        // every instance refuses until the rebuild is done
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> b.counter(cap) != null);
        assertThat(b.counter(cap))
            .as("the audit log's settled call and the open reservation Redis still holds")
            .isEqualTo(new CounterSnapshot(3_000, 4_000));
        assertThat(redis.redis().get(RedisKeys.EPOCH)).startsWith(runId + "/");
        // the call in flight during the failover settles normally on the rebuilt ledger
        a.settle(open, 3_500);
        assertThat(b.counter(cap)).isEqualTo(new CounterSnapshot(6_500, 0));
        // the fenced ledger is this server's now: a new connection does not fence it again
        try (RedisStore storeC = RedisFixtures.store(REDIS.uri())) {
          assertThat(storeC.fencedLedgers()).isZero();
        }
      }
    }
  }

  @Test
  void aReservationTheNewPrimaryNeverGotIsMadeAgainWhenItsCallSettles() {
    BudgetLimit cap = daily("key_daily", unique("key"), 10_000);
    String lost = unique("r");
    try (RedisStore storeA = RedisFixtures.store(REDIS.uri());
        RedisLedger a = RedisFixtures.readyLedger(storeA);
        RedisFixtures.Inspector redis = new RedisFixtures.Inspector(REDIS.uri())) {
      assertThat(a.reserve(request(lost, 2_000, cap))).isInstanceOf(ReserveOutcome.Reserved.class);

      promoteAReplicaThatNeverGot(redis, lost, cap);
      try (RedisStore storeB = RedisFixtures.store(REDIS.uri());
          RedisLedger b = new RedisLedger(storeB, new InMemorySpendRecord())) {
        assertThat(storeB.fencedLedgers()).isEqualTo(1);
        assertThatThrownBy(() -> b.counter(cap)).hasMessage("ledger rebuilding");
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> b.counter(cap) != null);
        assertThat(b.counter(cap)).isEqualTo(new CounterSnapshot(0, 0));

        // the call went ahead on that reservation: its settle counts it, it is not lost
        a.settle(lost, 1_500);
        assertThat(b.counter(cap)).isEqualTo(new CounterSnapshot(1_500, 0));
        assertThat(redis.redis().hget(RedisKeys.reservation(lost), "state")).isEqualTo("settled");
      }
    }
  }

  /**
   * The same through the fleet's admission, whose settlement goes to Redis without a waiting
   * thread: the script finds the reservation unknown, and the settlement falls back to the patient
   * path that makes it again, settles it and keeps the response for replay.
   */
  @Test
  void aDeduplicatedCallWhoseReservationTheNewPrimaryNeverGotSettlesThroughItsTicket() {
    BudgetLimit cap = daily("key_daily", unique("key"), 10_000);
    String fingerprint = unique("fp");
    StoredResponse response = new StoredResponse(201, List.of(), "{\"sid\":\"SM1\"}".getBytes());
    try (RedisStore storeA = RedisFixtures.store(REDIS.uri());
        RedisLedger a = RedisFixtures.readyLedger(storeA);
        RedisDedupCache cacheA = new RedisDedupCache(storeA);
        RedisFixtures.Inspector redis = new RedisFixtures.Inspector(REDIS.uri())) {
      RedisAdmission admission = new RedisAdmission(storeA, cacheA, a);
      Instant now = RedisFixtures.CLOCK.instant();
      Admit admitted =
          Stages.join(
              admission.admit(fingerprint, now.plusSeconds(60), request(unique("r"), 2_000, cap)));
      Ticket ticket = ((Admit.Admitted) admitted).ticket();
      String lost = ticket.reservation().reservationId();

      promoteAReplicaThatNeverGot(redis, lost, cap);
      try (RedisStore storeB = RedisFixtures.store(REDIS.uri());
          RedisLedger b = new RedisLedger(storeB, new InMemorySpendRecord())) {
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> b.counter(cap) != null);
        assertThat(b.counter(cap)).isEqualTo(new CounterSnapshot(0, 0));

        AtomicInteger rows = new AtomicInteger();
        Stages.join(ticket.settle(1_500, true, response, rows::incrementAndGet));

        assertThat(rows).as("the audit row alongside, once").hasValue(1);
        assertThat(b.counter(cap)).isEqualTo(new CounterSnapshot(1_500, 0));
        assertThat(redis.redis().hget(RedisKeys.reservation(lost), "state")).isEqualTo("settled");
        Admit retry =
            Stages.join(
                admission.admit(
                    fingerprint, now.plusSeconds(60), request(unique("r"), 2_000, cap)));
        assertThat(retry).isInstanceOf(Admit.Replay.class);
        assertThat(b.counter(cap)).isEqualTo(new CounterSnapshot(1_500, 0));
      }
    }
  }

  /**
   * What a promoted replica that never received reservation {@code lost} (the only one on {@code
   * cap}) holds: no reservation, nothing reserved, and a marker another server wrote.
   */
  private static void promoteAReplicaThatNeverGot(
      RedisFixtures.Inspector redis, String lost, BudgetLimit cap) {
    redis.redis().del(RedisKeys.reservation(lost));
    redis.redis().zrem(RedisKeys.OPEN, RedisKeys.reservation(lost));
    redis.redis().hset(RedisKeys.counter(cap.counterId()), "reserved", "0");
    redis.redis().set(RedisKeys.EPOCH, FOREIGN_EPOCH);
  }

  private static String runId(RedisFixtures.Inspector redis) {
    for (String line : redis.redis().info("server").split("\r?\n")) {
      if (line.startsWith("run_id:")) {
        return line.substring("run_id:".length()).trim();
      }
    }
    throw new AssertionError("no run_id in INFO server");
  }
}
