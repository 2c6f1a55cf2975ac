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
    String reservationId) {

  public AuditEntry {
    labels =
        labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
  }
}
