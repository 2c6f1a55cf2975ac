package io.keybrake.cli.settings;

import java.time.Duration;
import java.util.Objects;

/**
 * How a fleet instance waits for and talks to its Redis and PostgreSQL. Immutable.
 *
 * @param redisCommandTimeout the deadline of one Redis command; past it the call is refused 503
 *     {@code ledger_unavailable} ({@code KEYBRAKE_REDIS_COMMAND_TIMEOUT}, default 2 s: a healthy
 *     Redis answers in about a millisecond, and a busy machine must not be taken for an outage)
 * @param redisConnectTimeout how long opening a Redis connection may take ({@code
 *     KEYBRAKE_REDIS_CONNECT_TIMEOUT}, default 2 s)
 * @param startupWait how long a starting instance waits for Redis and PostgreSQL to answer, trying
 *     again with backoff, before it exits with the last cause ({@code KEYBRAKE_STARTUP_WAIT},
 *     default 60 s)
 */
public record FleetTuning(
    Duration redisCommandTimeout, Duration redisConnectTimeout, Duration startupWait) {

  /** The defaults listed above. */
  public static final FleetTuning DEFAULTS =
      new FleetTuning(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(60));

  public FleetTuning {
    Objects.requireNonNull(redisCommandTimeout);
    Objects.requireNonNull(redisConnectTimeout);
    Objects.requireNonNull(startupWait);
  }

  /** A copy with another command deadline. */
  public FleetTuning withRedisCommandTimeout(Duration timeout) {
    return new FleetTuning(timeout, redisConnectTimeout, startupWait);
  }

  /** A copy with another startup wait. */
  public FleetTuning withStartupWait(Duration wait) {
    return new FleetTuning(redisCommandTimeout, redisConnectTimeout, wait);
  }
}
