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

  /**
   * Jobs whose last {@link #hold} this instance won: {@link #release} asks Redis for these only.
   */
  private final java.util.Set<String> won = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public RedisLeases(RedisStore store) {
    this.store = Objects.requireNonNull(store);
  }

  @Override
  public boolean hold(String job, Duration ttl) {
    if (ttl.toMillis() < 1) {
      throw new IllegalArgumentException("a lease lasts at least 1 ms");
    }
    boolean held =
        "held"
            .equals(
                RedisLedger.str(
                    store.run(
                        Scripts.LEASE,
                        new String[] {RedisKeys.lease(job)},
                        token,
                        Long.toString(ttl.toMillis()),
                        "hold"),
                    0));
    if (held) {
      won.add(job);
    } else {
      won.remove(job);
    }
    return held;
  }

  @Override
  public void release(String job) {
    if (!won.remove(job)) {
      return; // never held here: nothing to give up (and no wait on a Redis that is gone)
    }
    store.run(Scripts.LEASE, new String[] {RedisKeys.lease(job)}, token, "1", "release");
  }
}
