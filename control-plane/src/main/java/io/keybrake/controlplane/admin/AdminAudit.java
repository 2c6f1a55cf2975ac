package io.keybrake.controlplane.admin;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.Budget;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import java.time.Clock;
import java.util.Map;

/**
 * Writes the admin API's changes into the hash-chained audit log, one row per change: who (the
 * acting admin key's id, never the key), what (the route and the change), when. A row for a key
 * carries the key's id, name, labels and vendor, so {@code GET /audit?key_id=} shows a key's whole
 * life; a budget row carries the budget's name and selector. The stored columns are those of every
 * audit row:
 *
 * <ul>
 *   <li>{@code decision}: {@value #DECISION}; {@code reason}: {@code key_created}, {@code
 *       key_revoked} or {@code budget_created};
 *   <li>{@code method}, {@code endpoint}: the admin route ({@code POST /keys}, {@code DELETE
 *       /keys/{id}}, {@code DELETE /keys} by label, {@code POST /budgets});
 *   <li>{@code vendor_object_id}: the actor, the admin key id ({@code admin_} and 16 hex characters
 *       of a SHA-256 of the admin key).
 * </ul>
 *
 * Thread-safe. Faults of the log propagate ({@code StoreUnavailableException}).
 */
final class AdminAudit {
  static final String DECISION = "admin";

  private final AuditLog audit;
  private final Clock clock;
  private final String actor;

  AdminAudit(AuditLog audit, Clock clock, String adminKey) {
    this.audit = audit;
    this.clock = clock;
    this.actor = actorId(adminKey);
  }

  /**
   * The admin key's public id: {@code admin_} and the first 16 hex characters of SHA-256 over a
   * domain prefix and the key. It names the key in audit rows and logs without revealing it.
   */
  static String actorId(String adminKey) {
    return "admin_" + VaultKeys.hash("keybrake-admin-key:" + adminKey).substring(0, 16);
  }

  String actor() {
    return actor;
  }

  void keyCreated(KeyRecord k) {
    write(k.id(), k.name(), k.labels(), k.vendor(), "POST", "/keys", "key_created", 201);
  }

  void keyRevoked(KeyRecord k) {
    write(k.id(), k.name(), k.labels(), k.vendor(), "DELETE", "/keys/{id}", "key_revoked", 200);
  }

  /** One of the keys {@code DELETE /keys?label=…} revoked. */
  void keysRevokedByLabel(KeyRecord k) {
    write(k.id(), k.name(), k.labels(), k.vendor(), "DELETE", "/keys", "key_revoked", 200);
  }

  void budgetCreated(Budget b) {
    write(
        null,
        b.name(),
        b.labels(),
        b.vendor().orElse(null),
        "POST",
        "/budgets",
        "budget_created",
        201);
  }

  private void write(
      String keyId,
      String name,
      Map<String, String> labels,
      String vendor,
      String method,
      String endpoint,
      String change,
      int status) {
    audit.append(
        new AuditEntry(
            clock.instant(),
            keyId,
            name,
            labels,
            vendor,
            method,
            endpoint,
            null,
            0,
            0,
            null,
            actor,
            DECISION,
            change,
            status,
            0,
            0,
            "none",
            null));
  }
}
