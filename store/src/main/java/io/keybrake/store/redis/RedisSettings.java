package io.keybrake.store.redis;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the Redis adapters, validated once. Immutable.
 *
 * @param commandTimeout the deadline of one command: past it with no answer at all on the
 *     connection, the caller gets {@link io.keybrake.core.store.StoreUnavailableException} (default
 *     2 s: generous, so a busy machine or a latency spike of a healthy Redis is not taken for an
 *     outage; {@code KEYBRAKE_REDIS_COMMAND_TIMEOUT}). A command queued behind others while Redis
 *     keeps answering them is given up to four deadlines
 * @param connectTimeout how long opening a TCP connection (and its handshake) may take (default 2
 *     s; {@code KEYBRAKE_REDIS_CONNECT_TIMEOUT})
 * @param breakerFailures consecutive signs that Redis is unreachable (connection refused or lost,
 *     or a deadline passed with no answer at all on the connection) that open the circuit breaker
 *     (default 3); slow answers while Redis keeps answering are never counted
 * @param breakerCoolDown how long the breaker stays open before it lets one probe through (default
 *     500 ms)
 * @param windowGrace how long a counter outlives its window's end (default 1 h)
 * @param reservationRetention how long a reservation is kept at least, for settle, release and
 *     repeated reserves (default 48 h; longer when one of its windows ends later)
 * @param rebuildLockTtl how long one instance may hold the rebuild lock without progress (default
 *     30 s)
 * @param dedupPoll longest single wait of {@code awaitChange} between looks at Redis when no
 *     notification arrives (default 50 ms)
 * @param heartbeat how often the revocation subscriber pings Redis to notice a silent loss of
 *     contact (default 1 s)
 */
public record RedisSettings(
    Duration commandTimeout,
    Duration connectTimeout,
    int breakerFailures,
    Duration breakerCoolDown,
    Duration windowGrace,
    Duration reservationRetention,
    Duration rebuildLockTtl,
    Duration dedupPoll,
    Duration heartbeat) {

  public RedisSettings {
    positive(commandTimeout, "commandTimeout");
    positive(connectTimeout, "connectTimeout");
    positive(breakerCoolDown, "breakerCoolDown");
    Objects.requireNonNull(windowGrace, "windowGrace");
    if (windowGrace.isNegative()) {
      throw new IllegalArgumentException("windowGrace must be >= 0");
    }
    positive(reservationRetention, "reservationRetention");
    positive(rebuildLockTtl, "rebuildLockTtl");
    positive(dedupPoll, "dedupPoll");
    positive(heartbeat, "heartbeat");
    if (breakerFailures < 1) {
      throw new IllegalArgumentException("breakerFailures must be >= 1");
    }
  }

  /** The defaults listed above. */
  public static RedisSettings defaults() {
    return new RedisSettings(
        Duration.ofSeconds(2),
        Duration.ofSeconds(2),
        3,
        Duration.ofMillis(500),
        Duration.ofHours(1),
        Duration.ofHours(48),
        Duration.ofSeconds(30),
        Duration.ofMillis(50),
        Duration.ofSeconds(1));
  }

  /** A copy with another command timeout. */
  public RedisSettings withCommandTimeout(Duration timeout) {
    return new RedisSettings(
        timeout,
        connectTimeout,
        breakerFailures,
        breakerCoolDown,
        windowGrace,
        reservationRetention,
        rebuildLockTtl,
        dedupPoll,
        heartbeat);
  }

  /** A copy with another connect timeout. */
  public RedisSettings withConnectTimeout(Duration timeout) {
    return new RedisSettings(
        commandTimeout,
        timeout,
        breakerFailures,
        breakerCoolDown,
        windowGrace,
        reservationRetention,
        rebuildLockTtl,
        dedupPoll,
        heartbeat);
  }

  /** A copy with another circuit breaker. */
  public RedisSettings withBreaker(int failures, Duration coolDown) {
    return new RedisSettings(
        commandTimeout,
        connectTimeout,
        failures,
        coolDown,
        windowGrace,
        reservationRetention,
        rebuildLockTtl,
        dedupPoll,
        heartbeat);
  }

  /** A copy with another longest dedup wait between looks at Redis. */
  public RedisSettings withDedupPoll(Duration poll) {
    return new RedisSettings(
        commandTimeout,
        connectTimeout,
        breakerFailures,
        breakerCoolDown,
        windowGrace,
        reservationRetention,
        rebuildLockTtl,
        poll,
        heartbeat);
  }

  /** A copy with another heartbeat. */
  public RedisSettings withHeartbeat(Duration every) {
    return new RedisSettings(
        commandTimeout,
        connectTimeout,
        breakerFailures,
        breakerCoolDown,
        windowGrace,
        reservationRetention,
        rebuildLockTtl,
        dedupPoll,
        every);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be > 0");
    }
  }
}
