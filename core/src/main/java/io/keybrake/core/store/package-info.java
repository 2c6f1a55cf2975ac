/**
 * Where the store ports live, and what every store promises when it fails.
 *
 * <p>The ports stay in the domain package they serve (domain packaging: a reader of {@code
 * core/ledger} finds the ledger's port there); this package holds only what all of them share. The
 * ports, and the stores in the {@code store} module that implement them:
 *
 * <ul>
 *   <li>{@link io.keybrake.core.key.KeyStore} ({@code core/key}): keys, policies, encrypted
 *       credentials. SQLite (embedded), PostgreSQL (fleet).
 *   <li>{@link io.keybrake.core.ledger.Ledger} ({@code core/ledger}): spend reservations and
 *       settlements per key. SQLite (embedded), Redis (fleet).
 *   <li>{@link io.keybrake.core.admission.Admission} ({@code core/admission}): one round trip that
 *       admits or refuses a request and opens its reservation; {@link
 *       io.keybrake.core.admission.OpenReservations} lists what the orphan sweep settles. SQLite
 *       (embedded), Redis (fleet).
 *   <li>{@link io.keybrake.core.audit.AuditLog} ({@code core/audit}): the append-only decision log.
 *       SQLite (embedded), PostgreSQL behind a write-ahead file (fleet).
 *   <li>{@link io.keybrake.core.budget.BudgetStore} ({@code core/budget}): shared budgets. SQLite
 *       (embedded), PostgreSQL (fleet).
 *   <li>{@link io.keybrake.core.notify.ThresholdStore} ({@code core/notify}): spend thresholds
 *       already notified. SQLite (embedded), PostgreSQL (fleet).
 *   <li>{@link io.keybrake.core.guard.GuardCounters} ({@code core/guard}): loop and velocity
 *       counters. SQLite (embedded), Redis (fleet).
 * </ul>
 *
 * <p>The embedded store is built by {@code io.keybrake.store.EmbeddedStore}, the fleet store by
 * {@code io.keybrake.store.fleet.FleetStore}.
 *
 * <p>Failure contract: a store that cannot answer (unreachable, timed out, cannot commit) throws
 * {@link io.keybrake.core.store.StoreUnavailableException}; it never answers with a guess. The edge
 * maps it to 503, and the decision path fails closed only on it. {@link
 * io.keybrake.core.store.UnitOfWork} runs several calls of one step as one transaction where the
 * store can (the embedded store); other stores run the work as it comes.
 */
package io.keybrake.core.store;
