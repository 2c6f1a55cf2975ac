package io.keybrake.harness.redis;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/** Shared helpers of the Redis integration tests. */
final class RedisFixtures {
  static final Clock CLOCK = Clock.systemUTC();

  private RedisFixtures() {}

  /** Settings for tests that are not about timeouts: the defaults (a 2 s command deadline). */
  static final RedisSettings RELAXED = RedisSettings.defaults();

  static RedisStore store(String uri) {
    return RedisStore.connect(uri, RELAXED, CLOCK);
  }

  /** A ledger on a fresh store, initialised (empty record) and ready to serve. */
  static RedisLedger readyLedger(RedisStore store) {
    RedisLedger ledger = new RedisLedger(store, new InMemorySpendRecord());
    ledger.rebuild();
    return ledger;
  }

  /** The source of {@code resources/lua/<name>.lua} as the store ships it. */
  static String script(String name) {
    try (InputStream in = RedisStore.class.getResourceAsStream("/lua/" + name + ".lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The SHA-1 Redis knows a script by. */
  static String sha1(String source) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String unique(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Today's (UTC) daily limit of {@code scope}. */
  static BudgetLimit daily(String budget, String scope, long cap) {
    LocalDate day = LocalDate.now(ZoneOffset.UTC);
    Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
    return new BudgetLimit(budget, scope, cap, start, start.plus(Duration.ofDays(1)));
  }

  static BudgetLimit lifetime(String scope, long cap) {
    return new BudgetLimit("key_total", scope, cap, Instant.EPOCH, Instant.MAX);
  }

  static ReserveRequest request(String id, long amount, BudgetLimit... limits) {
    return new ReserveRequest(id, "key", List.of(limits), amount, CLOCK.instant());
  }

  /** A plain client for looking at what Redis holds; close it. */
  static final class Inspector implements AutoCloseable {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    Inspector(String uri) {
      client = RedisClient.create(uri);
      connection = client.connect();
    }

    RedisCommands<String, String> redis() {
      return connection.sync();
    }

    @Override
    public void close() {
      connection.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }
}
