package io.keybrake.store.fleet;

import io.keybrake.core.admission.OrphanSweep;
import io.keybrake.core.ledger.AuditSpendRecord;
import io.keybrake.core.ledger.SpendRecord;
import io.keybrake.core.store.Leases;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.KeyEncryptionKey;
import io.keybrake.store.postgres.PostgresAuditLog;
import io.keybrake.store.postgres.PostgresBudgetStore;
import io.keybrake.store.postgres.PostgresDatabase;
import io.keybrake.store.postgres.PostgresKeyStore;
import io.keybrake.store.postgres.PostgresThresholdStore;
import io.keybrake.store.redis.RedisAdmission;
import io.keybrake.store.redis.RedisDedupCache;
import io.keybrake.store.redis.RedisGuardCounters;
import io.keybrake.store.redis.RedisLeases;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisRevocations;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import io.keybrake.store.wal.WriteAheadAuditLog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code FleetStore} is every store port of a fleet instance, the counterpart of {@link
 * io.keybrake.store.EmbeddedStore}: keys, budgets, thresholds and the audit log in PostgreSQL (the
 * audit log through a local write-ahead file in the data directory), spend counters, dedup entries,
 * guard counters and revocations in Redis. A Redis that lost its counters is rebuilt from the audit
 * log before it serves. At start it waits for PostgreSQL and Redis (a {@link StartupWait}), logging
 * each failed attempt with its cause. Thread-safe; close it once at shutdown.
 */
public final class FleetStore implements AutoCloseable {
  /** How long a rebuild waits for the write-ahead audit file to reach PostgreSQL. */
  private static final Duration DRAIN_WAIT = Duration.ofSeconds(30);

  private final PostgresDatabase pg;
  private final RedisStore redis;
  private final PostgresKeyStore keyStore;
  private final PostgresBudgetStore budgetStore;
  private final WriteAheadAuditLog auditLog;
  private final RedisLedger ledger;
  private final RedisDedupCache dedup;
  private final RedisAdmission admission;
  private final PostgresThresholdStore thresholdStore;
  private final RedisGuardCounters guardCounters;
  private final OrphanSweep orphans;
  private final RedisLeases leases;

  private FleetStore(
      PostgresDatabase pg,
      RedisStore redis,
      PostgresKeyStore keyStore,
      PostgresBudgetStore budgetStore,
      WriteAheadAuditLog auditLog,
      RedisLedger ledger,
      RedisDedupCache dedup) {
    this.pg = pg;
    this.redis = redis;
    this.keyStore = keyStore;
    this.budgetStore = budgetStore;
    this.auditLog = auditLog;
    this.ledger = ledger;
    this.dedup = dedup;
    this.admission = new RedisAdmission(redis, dedup, ledger);
    this.thresholdStore = new PostgresThresholdStore(pg);
    this.guardCounters = new RedisGuardCounters(redis);
    this.orphans = new OrphanSweep(ledger, keyStore, auditLog);
    this.leases = new RedisLeases(redis);
  }

  /**
   * Opens PostgreSQL, the write-ahead audit log in {@code dataDir} and Redis, waiting for each
   * within {@code startupWait} in all, and rebuilds a new or emptied Redis ledger from the audit
   * log. Whatever was opened is closed again when a step fails.
   *
   * @param kekBase64 the key-encryption key ({@code KEYBRAKE_KEK}), base64
   * @param redisSettings the command and connect timeouts of the Redis connection
   * @throws StoreUnavailableException a service did not answer within {@code startupWait}
   * @throws IllegalArgumentException the key-encryption key is malformed
   */
  public static FleetStore open(
      String postgresUrl,
      String redisUrl,
      String kekBase64,
      Path dataDir,
      RedisSettings redisSettings,
      Duration startupWait,
      Clock clock) {
    StartupWait wait = new StartupWait(startupWait);
    PostgresDatabase pg = wait.until("PostgreSQL", () -> PostgresDatabase.open(postgresUrl));
    RedisStore redis = null;
    WriteAheadAuditLog audit = null;
    try {
      PostgresKeyStore keys =
          new PostgresKeyStore(
              pg, new CredentialCipher(KeyEncryptionKey.fromBase64(kekBase64, "KEYBRAKE_KEK")));
      PostgresBudgetStore budgets = new PostgresBudgetStore(pg);
      PostgresAuditLog record = new PostgresAuditLog(pg, clock);
      audit = WriteAheadAuditLog.open(dataDir, record);
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
      return new FleetStore(pg, redis, keys, budgets, audit, ledger, dedup);
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

  public PostgresKeyStore keyStore() {
    return keyStore;
  }

  public RedisLedger ledger() {
    return ledger;
  }

  public RedisAdmission admission() {
    return admission;
  }

  public WriteAheadAuditLog auditLog() {
    return auditLog;
  }

  public PostgresBudgetStore budgetStore() {
    return budgetStore;
  }

  public PostgresThresholdStore thresholdStore() {
    return thresholdStore;
  }

  public RedisGuardCounters guardCounters() {
    return guardCounters;
  }

  /**
   * Subscribes to the revocations other instances publish; the returned channel also publishes this
   * instance's revocations. Close it to unsubscribe.
   */
  public RedisRevocations revocations(Consumer<String> onRevoked, Runnable onDisconnect) {
    return new RedisRevocations(redis, onRevoked, onDisconnect);
  }

  /** The stores that cannot serve now, named for {@code /readyz}; empty when all can. */
  public List<String> waitingFor() {
    List<String> waiting = new ArrayList<>();
    if (!ledger.ready()) {
      waiting.add("redis");
    }
    if (!auditLog.accepting()) {
      waiting.add("audit_log");
    }
    return waiting;
  }

  /** Which instance of the fleet runs each housekeeping job (leases in Redis). */
  public Leases leases() {
    return leases;
  }

  /**
   * Audits and unsettles up to 100 reservations opened before {@code before} by an instance that
   * stopped; returns how many.
   */
  public int sweepOrphans(Instant before) {
    return orphans.sweep(before, 100, OrphanSweep.INSTANCE_STOPPED);
  }

  /** Closes Redis (dedup cache, ledger, connection), then the audit log, then PostgreSQL. */
  @Override
  public void close() {
    try {
      dedup.close();
      ledger.close();
      redis.close();
    } finally {
      try {
        auditLog.close();
      } finally {
        pg.close();
      }
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
