package io.keybrake.cli.app;

import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.dedup.DedupCache;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.store.EmbeddedStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The four ports a process runs on, whichever adapters implement them, plus housekeeping and
 * shutdown. Immutable; the adapters are thread-safe.
 */
public record StoreBundle(
    KeyStore keyStore,
    Ledger ledger,
    DedupCache dedupCache,
    AuditLog auditLog,
    BudgetStore budgetStore,
    Runnable purge,
    AutoCloseable closer) {

  /** The embedded SQLite store under {@code dataDir}: one process, no other service. */
  public static StoreBundle embedded(Path dataDir, Optional<String> kek, Clock clock) {
    EmbeddedStore store = EmbeddedStore.open(dataDir, kek, clock);
    return new StoreBundle(
        store.keyStore(),
        store.ledger(),
        store.dedupCache(),
        store.auditLog(),
        store.budgetStore(),
        () -> store.purge(Duration.ofDays(2)),
        store);
  }
}
