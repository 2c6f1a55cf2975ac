package io.keybrake.store.postgres;

import io.keybrake.core.audit.AuditEntry;
import java.time.Instant;
import java.util.Map;

/** Audit entries for tests. */
public final class AuditFixtures {
  private AuditFixtures() {}

  /** An allowed, settled Twilio message for {@code keyId} at {@code at} costing {@code micros}. */
  public static AuditEntry allowed(String keyId, Instant at, long micros) {
    return entry(keyId, Map.of("team", "growth"), "twilio", at, micros, "allowed", "settled");
  }

  public static AuditEntry entry(
      String keyId,
      Map<String, String> labels,
      String vendor,
      Instant at,
      long micros,
      String decision,
      String settlement) {
    boolean allowed = decision.equals("allowed");
    return new AuditEntry(
        at,
        keyId,
        "name-" + keyId,
        labels,
        vendor,
        "POST",
        "/2010-04-01/Accounts/{sid}/Messages.json",
        "+1*******4567",
        120,
        micros,
        allowed && settlement.equals("settled") ? micros : null,
        allowed ? "SM" + Long.toHexString(at.toEpochMilli()) : null,
        decision,
        allowed ? null : "cap_exhausted",
        allowed ? 201 : 429,
        micros,
        850,
        settlement,
        allowed ? "res-" + at.toEpochMilli() : null);
  }
}
