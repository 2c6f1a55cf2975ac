package io.keybrake.harness.redis;

import static io.keybrake.harness.redis.RedisFixtures.daily;
import static io.keybrake.harness.redis.RedisFixtures.request;
import static io.keybrake.harness.redis.RedisFixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ledger reaches its Redis through Sentinel: a {@code redis-sentinel://…#master} URL. */
class RedisSentinelIT {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Test
  void aSentinelUrlFindsThePrimaryAndTheLedgerServesThroughIt() {
    try (RedisSentinel sentinel = RedisSentinel.start("keybrake", REDIS.server().port());
        RedisStore store = RedisFixtures.store(sentinel.uri());
        RedisLedger ledger = RedisFixtures.readyLedger(store);
        RedisFixtures.Inspector primary = new RedisFixtures.Inspector(REDIS.uri())) {
      BudgetLimit cap = daily("key_daily", unique("key"), 10_000);
      String id = unique("r");
      assertThat(ledger.reserve(request(id, 4_000, cap)))
          .isInstanceOf(ReserveOutcome.Reserved.class);
      assertThat(ledger.counter(cap)).isEqualTo(new CounterSnapshot(0, 4_000));
      // the reservation is on the primary the sentinel named
      assertThat(primary.redis().hget(io.keybrake.store.redis.RedisKeys.reservation(id), "state"))
          .isEqualTo("reserved");
    }
  }
}
