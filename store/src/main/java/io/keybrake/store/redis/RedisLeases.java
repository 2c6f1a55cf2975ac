package io.keybrake.store.redis;

import io.keybrake.core.store.Leases;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * {@link Leases} in Redis: a job's lease is one key ({@link RedisKeys#lease}) holding the token of
 * the instance that runs the job, with a time to live; {@code lease.lua} takes it when it is free,
 * extends it for its holder and deletes it for its holder only. The token is new for each instance
 * of this class, so a process that restarts takes its old lease again only once it ran out. A Redis
 * that lost the key (a restart, a failover) lets the next caller take the lease: at worst two
 * instances run the job for one round, which the jobs it guards are safe against. Thread-safe.
 */
public final class RedisLeases implements Leases {
  private final RedisStore store;
  private final String token = UUID.randomUUID().toString();

  public RedisLeases(RedisStore store) {
    this.store = Objects.requireNonNull(store);
  }

  @Override
  public boolean hold(String job, Duration ttl) {
    if (ttl.toMillis() < 1) {
      throw new IllegalArgumentException("a lease lasts at least 1 ms");
    }
    return "held"
        .equals(
            RedisLedger.str(
                store.run(
                    Scripts.LEASE,
                    new String[] {RedisKeys.lease(job)},
                    token,
                    Long.toString(ttl.toMillis()),
                    "hold"),
                0));
  }

  @Override
  public void release(String job) {
    store.run(Scripts.LEASE, new String[] {RedisKeys.lease(job)}, token, "1", "release");
  }
}
