package io.keybrake.core.pipeline;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.key.StoreUnavailableException;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Step 9: turns an exchange into its one audit row. Thread-safe. */
final class AuditWriter {
  private static final Logger log = LoggerFactory.getLogger(AuditWriter.class);

  private final AuditLog audit;
  private final LongSupplier nanoTicker;

  AuditWriter(AuditLog audit, LongSupplier nanoTicker) {
    this.audit = audit;
    this.nanoTicker = nanoTicker;
  }

  void blocked(Exchange ex, Refusal refusal) {
    write(ex, "blocked", refusal.code().wireName(), refusal.status(), null, null, "none", 0);
  }

  void replayed(Exchange ex, int status) {
    write(ex, "replayed", "duplicate", status, 0L, null, "none", 0);
  }

  void allowed(
      Exchange ex, int status, Long actual, String objectId, String settlement, long spent) {
    write(ex, "allowed", null, status, actual, objectId, settlement, spent);
  }

  private void write(
      Exchange ex,
      String decision,
      String reason,
      int status,
      Long actual,
      String objectId,
      String settlement,
      long spent) {
    RequestHead head = ex.head;
    AuditEntry entry =
        new AuditEntry(
            ex.startedAt,
            ex.key == null ? null : ex.key.id(),
            ex.key == null ? null : ex.key.name(),
            ex.key == null ? Map.of() : ex.key.labels(),
            ex.key == null ? null : ex.key.vendor(),
            head == null ? null : head.method().toUpperCase(Locale.ROOT),
            ex.match == null ? ex.path : ex.match.endpoint().pathTemplate(),
            destinations(ex),
            ex.bodyBytes,
            ex.estimate == null ? 0 : ex.estimate.micros(),
            actual,
            objectId,
            decision,
            reason,
            status,
            spent,
            (nanoTicker.getAsLong() - ex.startNanos) / 1000,
            settlement,
            ex.reservation == null ? null : ex.reservation.reservationId());
    try {
      audit.append(entry);
    } catch (StoreUnavailableException e) {
      log.error(
          "audit row for key {} ({} {}) could not be written: {}",
          entry.keyId(),
          decision,
          reason,
          e.getMessage());
    }
  }

  private static String destinations(Exchange ex) {
    if (ex.estimate == null || ex.estimate.destinations().isEmpty()) {
      return null;
    }
    return ex.estimate.destinations().stream()
        .map(Destination::masked)
        .collect(Collectors.joining(","));
  }
}
