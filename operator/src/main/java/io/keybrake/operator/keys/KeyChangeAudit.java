package io.keybrake.operator.keys;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.key.KeyRecord;
import java.time.Instant;

/**
 * Writes the operator's key changes into the hash-chained audit log, in the shape of the admin
 * API's rows ({@code decision} {@value #DECISION}, the change in {@code reason}): the actor (in
 * {@code vendor_object_id}) is {@value #ACTOR}, {@code method} {@value #METHOD} and {@code
 * endpoint} the SpendPolicy the key follows ({@code SpendPolicy <namespace>/<name>}). Thread-safe;
 * faults of the log propagate.
 */
public final class KeyChangeAudit {
  static final String DECISION = "admin";
  static final String ACTOR = "k8s-operator";
  static final String METHOD = "RECONCILE";

  private final AuditLog audit;

  public KeyChangeAudit(AuditLog audit) {
    this.audit = java.util.Objects.requireNonNull(audit);
  }

  /** A key whose policy changed in place, to follow {@code policy} ({@code namespace/name}). */
  void policyChanged(KeyRecord k, String policy, Instant at) {
    audit.append(
        new AuditEntry(
            at,
            k.id(),
            k.name(),
            k.labels(),
            k.vendor(),
            METHOD,
            "SpendPolicy " + policy,
            null,
            0,
            0,
            null,
            ACTOR,
            DECISION,
            "key_policy_changed",
            200,
            0,
            0,
            "none",
            null));
  }
}
