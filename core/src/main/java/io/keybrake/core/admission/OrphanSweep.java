package io.keybrake.core.admission;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations left open by a process that stopped between admitting a call and finishing its
 * ticket belong to calls whose outcome nobody saw: the vendor may have acted. Each is kept as
 * spend, marked {@code unsettled}, and gets its audit row (reason {@code process_stopped} when the
 * embedded process restarts, {@code instance_stopped} for a fleet instance that died). Exactly one
 * sweeper audits each reservation, whichever instance runs it. Thread-safe.
 */
public final class OrphanSweep {
  /** The embedded process restarted: every open reservation is an orphan. */
  public static final String PROCESS_STOPPED = "process_stopped";

  /** A fleet instance died: reservations open long past any exchange are orphans. */
  public static final String INSTANCE_STOPPED = "instance_stopped";

  private static final Logger log = LoggerFactory.getLogger(OrphanSweep.class);

  private final OpenReservations open;
  private final KeyStore keys;
  private final AuditLog audit;

  public OrphanSweep(OpenReservations open, KeyStore keys, AuditLog audit) {
    this.open = open;
    this.keys = keys;
    this.audit = audit;
  }

  /**
   * Sweeps at most {@code max} reservations made before {@code before}.
   *
   * @return how many this call kept as unsettled spend and audited
   */
  public int sweep(Instant before, int max, String reason) {
    int n = 0;
    List<OpenReservation> stale = open.openBefore(before, max);
    for (OpenReservation r : stale) {
      if (open.unsettleIfOpen(r.id())) {
        audit.append(row(r, reason));
        n++;
      }
    }
    if (n > 0) {
      log.warn(
          "{} reservation(s) were open when their process stopped ({}); kept as spend and marked"
              + " unsettled",
          n,
          reason);
    }
    return n;
  }

  private AuditEntry row(OpenReservation r, String reason) {
    Optional<KeyRecord> key = r.keyId() == null ? Optional.empty() : keys.findById(r.keyId());
    return new AuditEntry(
        r.at(),
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
        reason,
        0,
        0,
        0,
        "unsettled",
        r.id());
  }
}
