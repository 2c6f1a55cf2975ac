package io.keybrake.cli.app;

import io.keybrake.cli.settings.Settings;
import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.OrphanSweep;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.AuditSpendRecord;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.SpendRecord;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.store.EmbeddedStore;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.KeyEncryptionKey;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresBudgetStore;
import io.keybrake.store.postgres.PostgresDatabase;
import io.keybrake.store.postgres.PostgresKeyStore;
import io.keybrake.store.redis.RedisAdmission;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisRevocations;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import io.keybrake.store.wal.WriteAheadAuditLog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The ports a process runs on, whichever adapters implement them, plus housekeeping, the revocation
 * feed and shutdown. Immutable; the adapters are thread-safe.
 */
public record StoreBundle(
    KeyStore keyStore,
    Ledger ledger,
    Admission admission,
    AuditLog auditLog,
    BudgetStore budgetStore,
    Runnable purge,
    RevocationFeed revocations,
    StaleSweep staleSweep,
    Readiness readiness,
    AutoCloseable closer,
    io.keybrake.core.notify.ThresholdStore thresholds,
    io.keybrake.core.guard.GuardCounters guardCounters,
    io.keybrake.core.store.UnitOfWork unitOfWork) {

  /** What a process still waits for before it can serve (empty: ready). */
  @FunctionalInterface
  public interface Readiness {
    Readiness ALWAYS = java.util.List::of;

    /** The stores that cannot serve now, named for {@code /readyz}; empty when all can. */
    java.util.List<String> waitingFor();
  }

  /** Audits and unsettles reservations left open by an instance that died; returns how many. */
  @FunctionalInterface
  public interface StaleSweep {
    StaleSweep NONE = before -> 0;

    int sweep(java.time.Instant before);
  }

  /** How long a rebuild waits for the write-ahead audit file to reach PostgreSQL. */
  private static final Duration DRAIN_WAIT = Duration.ofSeconds(30);

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
      // the process stopped with calls in flight: their outcome is unknown, so they stay spend
      new OrphanSweep(store.sqliteLedger(), store.keyStore(), store.auditLog())
          .sweep(java.time.Instant.MAX, Integer.MAX_VALUE, OrphanSweep.PROCESS_STOPPED);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return new StoreBundle(
        store.keyStore(),
        store.ledger(),
        store.admission(),
        store.auditLog(),
        store.budgetStore(),
        () -> store.purge(Duration.ofDays(2)),
        RevocationFeed.LOCAL,
        StaleSweep.NONE,
        Readiness.ALWAYS,
        store,
        store.thresholdStore(),
        new io.keybrake.store.sqlite.SqliteGuardCounters(store.database()),
        new io.keybrake.core.store.UnitOfWork() {
          @Override
          public <T> T inOne(String what, java.util.function.Supplier<T> work) {
            return store.database().write(what, s -> work.get());
          }
        });
  }

  /**
   * Fleet mode: keys, budgets and the audit log in PostgreSQL (the audit log through a local
   * write-ahead file in {@code dataDir}), spend counters, dedup entries and revocations in Redis. A
   * Redis that lost its counters is rebuilt from the audit log before it serves. At start it waits
   * for PostgreSQL and Redis ({@link io.keybrake.cli.settings.FleetTuning#startupWait()}), logging
   * each failed attempt with its cause.
   */
  public static StoreBundle fleet(Settings settings, Clock clock) {
    String kek =
        settings
            .kekBase64()
            .orElseThrow(() -> new IllegalArgumentException("fleet mode needs KEYBRAKE_KEK"));
    StartupWait wait = new StartupWait(settings.fleet().startupWait());
    String pgUrl = settings.postgresUrl().orElseThrow();
    PostgresDatabase pg = wait.until("PostgreSQL", () -> PostgresDatabase.open(pgUrl));
    RedisStore redis = null;
    WriteAheadAuditLog audit = null;
    try {
      PostgresKeyStore keys =
          new PostgresKeyStore(
              pg, new CredentialCipher(KeyEncryptionKey.fromBase64(kek, "KEYBRAKE_KEK")));
      PostgresBudgetStore budgets = new PostgresBudgetStore(pg);
      PostgresAuditLog record = new PostgresAuditLog(pg, clock);
      audit = WriteAheadAuditLog.open(settings.dataDir(), record);
      String redisUrl = settings.redisUrl().orElseThrow().toString();
      RedisSettings redisSettings =
          RedisSettings.defaults()
              .withCommandTimeout(settings.fleet().redisCommandTimeout())
              .withConnectTimeout(settings.fleet().redisConnectTimeout());
      redis = wait.until("Redis", () -> connectRedis(redisUrl, redisSettings, clock));
      WriteAheadAuditLog wal = audit;
      SpendRecord drained =
          now -> {
            awaitDrained(wal);
            return new AuditSpendRecord(record, keys, budgets).openSpend(now);
          };
      RedisLedger ledger = new RedisLedger(redis, drained);
      RedisStore r = redis;
      RedisDedupCache dedup =
          wait.until(
              "the Redis ledger",
              () -> {
                ledger.rebuild(); // a new or emptied Redis is initialised from the audit log
                return new RedisDedupCache(r);
              });
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
      OrphanSweep orphans = new OrphanSweep(ledger, keys, auditLog);
      StaleSweep sweep = before -> orphans.sweep(before, 100, OrphanSweep.INSTANCE_STOPPED);
      return new StoreBundle(
          keys,
          ledger,
          new RedisAdmission(r, dedup, ledger),
          audit,
          budgets,
          () -> {},
          feed,
          sweep,
          () -> {
            java.util.List<String> waiting = new java.util.ArrayList<>();
            if (!ledger.ready()) {
              waiting.add("redis");
            }
            if (!auditLog.accepting()) {
              waiting.add("audit_log");
            }
            return waiting;
          },
          closer,
          new io.keybrake.store.postgres.PostgresThresholdStore(pg),
          new io.keybrake.store.redis.RedisGuardCounters(r),
          io.keybrake.core.store.UnitOfWork.NONE);
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

  /** Connects and makes sure Redis answers (a connection may open and drop at once). */
  private static RedisStore connectRedis(String url, RedisSettings settings, Clock clock) {
    RedisStore store = RedisStore.connect(url, settings, clock);
    try {
      store.ping();
      return store;
    } catch (StoreUnavailableException e) {
      store.close();
      throw e;
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
