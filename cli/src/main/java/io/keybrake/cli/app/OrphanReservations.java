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
      ledger.markUnsettled(r.id());
      audit.append(
          row(keys, r.id(), r.keyId(), r.amountMicros(), r.createdAt(), "process_stopped"));
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

  /**
   * Fleet mode: reservations still open long after any exchange could have ended belong to an
   * instance that died between reserve and settle. Each is marked unsettled by exactly one instance
   * (the one whose {@code unsettleIfOpen} moved it) and audited.
   */
  static int sweep(
      io.keybrake.store.redis.RedisLedger ledger,
      KeyStore keys,
      AuditLog audit,
      java.time.Instant before) {
    int n = 0;
    for (io.keybrake.store.redis.RedisLedger.OpenReservation r :
        ledger.staleReservations(before, 100)) {
      if (ledger.unsettleIfOpen(r.id())) {
        audit.append(row(keys, r.id(), r.keyId(), r.amountMicros(), r.at(), "instance_stopped"));
        n++;
      }
    }
    if (n > 0) {
      log.warn("{} reservation(s) of a stopped instance kept as spend and marked unsettled", n);
    }
    return n;
  }

  private static AuditEntry row(
      KeyStore keys,
      String reservationId,
      String keyId,
      long amountMicros,
      java.time.Instant at,
      String reason) {
    Optional<KeyRecord> key = keyId == null ? Optional.empty() : keys.findById(keyId);
    return new AuditEntry(
        at,
        keyId,
        key.map(KeyRecord::name).orElse(null),
        key.map(KeyRecord::labels).orElse(Map.of()),
        key.map(KeyRecord::vendor).orElse(null),
        null,
        null,
        null,
        0,
        amountMicros,
        null,
        null,
        "allowed",
        reason,
        0,
        0,
        0,
        "unsettled",
        reservationId);
  }
}
