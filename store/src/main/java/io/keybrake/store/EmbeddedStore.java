package io.keybrake.store;

import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.KeyEncryptionKey;
import io.keybrake.store.sqlite.SqliteAuditLog;
import io.keybrake.store.sqlite.SqliteBudgetStore;
import io.keybrake.store.sqlite.SqliteDatabase;
import io.keybrake.store.sqlite.SqliteDedupCache;
import io.keybrake.store.sqlite.SqliteKeyStore;
import io.keybrake.store.sqlite.SqliteLedger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code EmbeddedStore} is every store port on one SQLite file in the data directory: what {@code
 * keybrake up} runs on with no other service. Thread-safe; close it once at shutdown.
 */
public final class EmbeddedStore implements AutoCloseable {
  private final SqliteDatabase db;
  private final Clock clock;
  private final SqliteKeyStore keyStore;
  private final SqliteLedger ledger;
  private final SqliteDedupCache dedupCache;
  private final io.keybrake.store.sqlite.SqliteAdmission admission;
  private final SqliteAuditLog auditLog;
  private final SqliteBudgetStore budgetStore;

  private EmbeddedStore(SqliteDatabase db, CredentialCipher cipher, Clock clock) {
    this.db = db;
    this.clock = clock;
    this.keyStore = new SqliteKeyStore(db, cipher);
    this.budgetStore = new SqliteBudgetStore(db);
    this.ledger = new SqliteLedger(db);
    this.dedupCache = new SqliteDedupCache(db);
    this.admission = new io.keybrake.store.sqlite.SqliteAdmission(db, ledger, dedupCache);
    this.auditLog = new SqliteAuditLog(db);
  }

  /**
   * Creates {@code dataDir} if needed and opens {@code keybrake.db} in it.
   *
   * @param kekBase64 the key-encryption key ({@code KEYBRAKE_KEK}); when empty the file {@code kek}
   *     in {@code dataDir} is used, created on first start
   * @throws io.keybrake.core.store.StoreUnavailableException the database cannot be opened
   * @throws IllegalArgumentException the key-encryption key is malformed
   */
  public static EmbeddedStore open(Path dataDir, Optional<String> kekBase64, Clock clock) {
    Objects.requireNonNull(clock);
    KeyEncryptionKey kek = KeyEncryptionKey.loadOrCreate(dataDir, kekBase64);
    SqliteDatabase db = SqliteDatabase.open(dataDir);
    return new EmbeddedStore(db, new CredentialCipher(kek), clock);
  }

  public io.keybrake.core.budget.BudgetStore budgetStore() {
    return budgetStore;
  }

  public KeyStore keyStore() {
    return keyStore;
  }

  public Ledger ledger() {
    return ledger;
  }

  /** The ledger with its embedded-only extras ({@link SqliteLedger#openReservations()}). */
  public SqliteLedger sqliteLedger() {
    return ledger;
  }

  public SqliteDedupCache dedupCache() {
    return dedupCache;
  }

  /** Lets calls through: dedup claim and reservation in one transaction, each finish in another. */
  public io.keybrake.core.admission.Admission admission() {
    return admission;
  }

  public AuditLog auditLog() {
    return auditLog;
  }

  /** Budget threshold notifications (webhooks), in the same file. */
  public io.keybrake.core.notify.ThresholdStore thresholdStore() {
    return new io.keybrake.store.sqlite.SqliteThresholdStore(db);
  }

  /** The database, for health checks and tooling. */
  public SqliteDatabase database() {
    return db;
  }

  /**
   * Deletes dead dedup entries and closed reservations older than {@code retention}. Call it now
   * and then (e.g. every minute); open and unsettled reservations are never removed.
   */
  public void purge(Duration retention) {
    dedupCache.purgeExpired(clock.instant());
    ledger.purge(clock.instant().minus(retention));
  }

  @Override
  public void close() {
    db.close();
  }
}
