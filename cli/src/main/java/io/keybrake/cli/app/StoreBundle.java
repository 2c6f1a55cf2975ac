package io.keybrake.cli.app;

import io.keybrake.cli.settings.Settings;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.dedup.DedupCache;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.StoreUnavailableException;
import io.keybrake.core.ledger.AuditSpendRecord;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.SpendRecord;
import io.keybrake.store.EmbeddedStore;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.KeyEncryptionKey;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresBudgetStore;
import io.keybrake.store.postgres.PostgresDatabase;
import io.keybrake.store.postgres.PostgresKeyStore;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisDedupLedger;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisRevocations;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import io.keybrake.store.wal.WriteAheadAuditLog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The ports a process runs on, whichever adapters implement them, plus housekeeping, the revocation
 * feed and shutdown. Immutable; the adapters are thread-safe.
 */
public record StoreBundle(
    KeyStore keyStore,
    Ledger ledger,
    DedupCache dedupCache,
    AuditLog auditLog,
    BudgetStore budgetStore,
    Runnable purge,
    RevocationFeed revocations,
    StaleSweep staleSweep,
    io.keybrake.core.pipeline.UnitOfWork unitOfWork,
    AutoCloseable closer,
    io.keybrake.core.notify.ThresholdStore thresholds) {

  /** Audits and unsettles reservations left open by an instance that died; returns how many. */
  @FunctionalInterface
  public interface StaleSweep {
    StaleSweep NONE = before -> 0;

    int sweep(java.time.Instant before);
  }

  /** How long a rebuild waits for the write-ahead audit file to reach PostgreSQL. */
  private static final Duration DRAIN_WAIT = Duration.ofSeconds(30);

  private static final Duration STARTUP_CONNECT = Duration.ofSeconds(10);

  /** The store the settings name: embedded SQLite, or Redis + PostgreSQL for a fleet. */
  public static StoreBundle open(Settings settings, Clock clock) {
    return settings.store().equals("redis")
        ? fleet(settings, clock)
        : embedded(settings.dataDir(), settings.kekBase64(), clock);
  }

  /** The embedded SQLite store under {@code dataDir}: one process, no other service. */
  public static StoreBundle embedded(Path dataDir, Optional<String> kek, Clock clock) {
    EmbeddedStore store = EmbeddedStore.open(dataDir, kek, clock);
    try {
      OrphanReservations.recover(store.sqliteLedger(), store.keyStore(), store.auditLog());
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return new StoreBundle(
        store.keyStore(),
        store.ledger(),
        store.dedupCache(),
        store.auditLog(),
        store.budgetStore(),
        () -> store.purge(Duration.ofDays(2)),
        RevocationFeed.LOCAL,
        StaleSweep.NONE,
        new io.keybrake.core.pipeline.UnitOfWork() {
          @Override
          public <T> T inOne(String what, java.util.function.Supplier<T> work) {
            return store.database().write(what, s -> work.get());
          }
        },
        store,
        store.thresholdStore());
  }

  /**
   * Fleet mode: keys, budgets and the audit log in PostgreSQL (the audit log through a local
   * write-ahead file in {@code dataDir}), spend counters, dedup entries and revocations in Redis. A
   * Redis that lost its counters is rebuilt from the audit log before it serves.
   */
  public static StoreBundle fleet(Settings settings, Clock clock) {
    String kek =
        settings
            .kekBase64()
            .orElseThrow(() -> new IllegalArgumentException("fleet mode needs KEYBRAKE_KEK"));
    PostgresDatabase pg = PostgresDatabase.open(settings.postgresUrl().orElseThrow());
    RedisStore redis = null;
    WriteAheadAuditLog audit = null;
    try {
      PostgresKeyStore keys =
          new PostgresKeyStore(
              pg, new CredentialCipher(KeyEncryptionKey.fromBase64(kek, "KEYBRAKE_KEK")));
      PostgresBudgetStore budgets = new PostgresBudgetStore(pg);
      PostgresAuditLog record = new PostgresAuditLog(pg, clock);
      audit = WriteAheadAuditLog.open(settings.dataDir(), record);
      redis = connectRedis(settings.redisUrl().orElseThrow().toString(), clock);
      WriteAheadAuditLog wal = audit;
      SpendRecord drained =
          now -> {
            awaitDrained(wal);
            return new AuditSpendRecord(record, keys, budgets).openSpend(now);
          };
      RedisLedger ledger = new RedisLedger(redis, drained);
      ledger.rebuild();
      RedisDedupCache dedup = new RedisDedupCache(redis);
      RedisStore r = redis;
      RevocationFeed feed =
          new RevocationFeed() {
            private volatile RedisRevocations publisher;

            @Override
            public void publish(String keyId) {
              RedisRevocations p = publisher;
              if (p != null) {
                p.publish(keyId);
              }
            }

            @Override
            public AutoCloseable subscribe(Consumer<String> onRevoked, Runnable onDisconnect) {
              RedisRevocations sub = new RedisRevocations(r, onRevoked, onDisconnect);
              publisher = sub;
              return sub;
            }
          };
      WriteAheadAuditLog closingAudit = audit;
      AutoCloseable closer =
          () -> {
            try {
              dedup.close();
              ledger.close();
              r.close();
            } finally {
              try {
                closingAudit.close();
              } finally {
                pg.close();
              }
            }
          };
      WriteAheadAuditLog auditLog = audit;
      StaleSweep sweep = before -> OrphanReservations.sweep(ledger, keys, auditLog, before);
      return new StoreBundle(
          keys,
          ledger,
          new RedisDedupLedger(r, dedup, ledger),
          audit,
          budgets,
          () -> {},
          feed,
          sweep,
          io.keybrake.core.pipeline.UnitOfWork.NONE,
          closer,
          new io.keybrake.store.postgres.PostgresThresholdStore(pg));
    } catch (RuntimeException | Error e) {
      if (redis != null) {
        redis.close();
      }
      if (audit != null) {
        audit.close();
      }
      pg.close();
      throw e;
    }
  }

  /**
   * Connects at start, retrying for a few seconds: a cold JVM's first handshake can take longer
   * than the 100 ms command timeout that every call afterwards is held to.
   */
  private static RedisStore connectRedis(String url, Clock clock) {
    long deadline = System.nanoTime() + STARTUP_CONNECT.toNanos();
    while (true) {
      try {
        return RedisStore.connect(url, RedisSettings.defaults(), clock);
      } catch (StoreUnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        TimeUnit.MILLISECONDS.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while connecting to Redis");
      }
    }
  }

  private static void awaitDrained(WriteAheadAuditLog wal) {
    try {
      if (!wal.awaitDrained(DRAIN_WAIT)) {
        throw new StoreUnavailableException(
            "the audit log has " + wal.pending() + " rows not yet in PostgreSQL; cannot rebuild");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while waiting for the audit log");
    }
  }
}
