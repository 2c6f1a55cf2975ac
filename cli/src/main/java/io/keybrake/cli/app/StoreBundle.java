package io.keybrake.cli.app;

import io.keybrake.cli.settings.Settings;
import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.OrphanSweep;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.store.EmbeddedStore;
import io.keybrake.store.fleet.FleetStore;
import io.keybrake.store.redis.RedisRevocations;
import io.keybrake.store.redis.RedisSettings;
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
    io.keybrake.core.store.UnitOfWork unitOfWork,
    io.keybrake.core.store.Leases leases) {

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
        },
        io.keybrake.core.store.Leases.SOLE);
  }

  /**
   * Fleet mode: the {@link FleetStore} (PostgreSQL, a write-ahead audit file in {@code dataDir},
   * Redis). At start it waits for PostgreSQL and Redis ({@link
   * io.keybrake.cli.settings.FleetTuning#startupWait()}), logging each failed attempt with its
   * cause.
   */
  public static StoreBundle fleet(Settings settings, Clock clock) {
    String kek =
        settings
            .kekBase64()
            .orElseThrow(() -> new IllegalArgumentException("fleet mode needs KEYBRAKE_KEK"));
    FleetStore store =
        FleetStore.open(
            settings.postgresUrl().orElseThrow(),
            settings.redisUrl().orElseThrow().toString(),
            kek,
            settings.dataDir(),
            RedisSettings.defaults()
                .withCommandTimeout(settings.fleet().redisCommandTimeout())
                .withConnectTimeout(settings.fleet().redisConnectTimeout()),
            settings.fleet().startupWait(),
            clock);
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
            RedisRevocations sub = store.revocations(onRevoked, onDisconnect);
            publisher = sub;
            return sub;
          }
        };
    return new StoreBundle(
        store.keyStore(),
        store.ledger(),
        store.admission(),
        store.auditLog(),
        store.budgetStore(),
        () -> {},
        feed,
        store::sweepOrphans,
        store::waitingFor,
        store,
        store.thresholdStore(),
        store.guardCounters(),
        io.keybrake.core.store.UnitOfWork.NONE,
        store.leases());
  }
}
