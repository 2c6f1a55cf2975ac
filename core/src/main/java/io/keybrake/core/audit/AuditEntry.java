package io.keybrake.core.audit;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One decision as the pipeline reports it, before the log gives it a sequence number and hash.
 * Nullable fields are those a decision may not have (a refused call has no vendor object).
 *
 * @param decision {@code allowed}, {@code blocked}, {@code replayed} or {@code settled} (a later
 *     settlement of an earlier allowed call)
 * @param reason the refusal code, or {@code null} when allowed
 * @param settlement {@code settled}, {@code estimated}, {@code released}, {@code unsettled} or
 *     {@code none}
 * @param destination the destination with all but the last four digits masked, or null
 * @param spentMicros the cumulative spend, in micro-dollars, of the budget named by {@code budget}
 *     at the moment of the decision (after the call for an allowed one); 0 when it could not be
 *     read
 * @param capMicros the cap in effect for that budget, or null when the row names none (rows written
 *     before schema version 5, admin rows, and calls whose spend could not be read)
 * @param budget the budget whose spend and cap the row records ({@code key_daily}, {@code
 *     key_total} or a fleet/vendor budget's name), or null when unknown
 */
public record AuditEntry(
    Instant at,
    String keyId,
    String keyName,
    Map<String, String> labels,
    String vendor,
    String method,
    String endpoint,
    String destination,
    long bodyBytes,
    long estimatedMicros,
    Long actualMicros,
    String vendorObjectId,
    String decision,
    String reason,
    int httpStatus,
    long spentMicros,
    long latencyMicros,
    String settlement,
    String reservationId,
    Long capMicros,
    String budget) {

  public AuditEntry {
    labels =
        labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
  }

  /** An entry that names no cap or budget (admin rows, reconciliation, rows of older versions). */
  public AuditEntry(
      Instant at,
      String keyId,
      String keyName,
      Map<String, String> labels,
      String vendor,
      String method,
      String endpoint,
      String destination,
      long bodyBytes,
      long estimatedMicros,
      Long actualMicros,
      String vendorObjectId,
      String decision,
      String reason,
      int httpStatus,
      long spentMicros,
      long latencyMicros,
      String settlement,
      String reservationId) {
    this(
        at,
        keyId,
        keyName,
        labels,
        vendor,
        method,
        endpoint,
        destination,
        bodyBytes,
        estimatedMicros,
        actualMicros,
        vendorObjectId,
        decision,
        reason,
        httpStatus,
        spentMicros,
        latencyMicros,
        settlement,
        reservationId,
        null,
        null);
  }

  /** This entry with the cap and budget its spend is counted against. */
  public AuditEntry withCap(Long capMicros, String budget) {
    return new AuditEntry(
        at,
        keyId,
        keyName,
        labels,
        vendor,
        method,
        endpoint,
        destination,
        bodyBytes,
        estimatedMicros,
        actualMicros,
        vendorObjectId,
        decision,
        reason,
        httpStatus,
        spentMicros,
        latencyMicros,
        settlement,
        reservationId,
        capMicros,
        budget);
  }
}
