package io.keybrake.cli.app;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.store.sqlite.SqliteLedger;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a crash of the single embedded process, reservations that were still open belong to calls
 * whose outcome nobody saw: the vendor may have acted. At start they are kept as spend, marked
 * {@code unsettled}, and each gets its audit row (reason {@code process_stopped}). Runs once,
 * before the process serves.
 */
final class OrphanReservations {
  private static final Logger log = LoggerFactory.getLogger(OrphanReservations.class);

  private OrphanReservations() {}

  static int recover(SqliteLedger ledger, KeyStore keys, AuditLog audit) {
    int n = 0;
    for (SqliteLedger.OpenReservation r : ledger.openReservationDetails()) {
      Optional<KeyRecord> key = keys.findById(r.keyId());
      ledger.markUnsettled(r.id());
      audit.append(
          new AuditEntry(
              r.createdAt(),
              r.keyId(),
              key.map(KeyRecord::name).orElse(null),
              key.map(KeyRecord::labels).orElse(Map.of()),
              key.map(KeyRecord::vendor).orElse(null),
              null,
              null,
              null,
              0,
              r.amountMicros(),
              null,
              null,
              "allowed",
              "process_stopped",
              0,
              0,
              0,
              "unsettled",
              r.id()));
      n++;
    }
    if (n > 0) {
      log.warn(
          "{} reservation(s) were open when the process stopped; kept as spend and marked"
              + " unsettled",
          n);
    }
    return n;
  }
}
