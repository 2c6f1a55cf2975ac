package io.keybrake.cli.metrics;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code keybrake_reconciliation_lag_seconds}: the age of the oldest Twilio call or message still
 * counted at its estimate (audit settlement {@code estimated}, no later {@code settled} row) within
 * the reconciler's lookback; 0 when every one is priced. Refreshed after each reconciler pass, from
 * the same audit rows the reconciler reads. Thread-safe.
 */
public final class ReconciliationLag {
  private final AuditLog audit;
  private final Clock clock;
  private final Duration lookback;
  private volatile double seconds;

  public ReconciliationLag(MeterRegistry registry, AuditLog audit, Clock clock, Duration lookback) {
    this.audit = audit;
    this.clock = clock;
    this.lookback = lookback;
    Gauge.builder("keybrake_reconciliation_lag_seconds", this, l -> l.seconds)
        .description(
            "Age of the oldest Twilio call or message still counted at its estimate (not yet"
                + " settled at Twilio's price); 0 when all are priced")
        .register(registry);
  }

  /** Reads the audit rows again; call after each reconciler pass. */
  public void refresh() {
    Instant now = clock.instant();
    List<AuditRecord> rows =
        audit.query(
            new AuditQuery(
                Optional.empty(),
                Optional.of(now.minus(lookback)),
                Optional.empty(),
                AuditQuery.MAX_LIMIT));
    Set<String> settled = new HashSet<>();
    for (AuditRecord r : rows) {
      if ("settled".equals(r.entry().decision()) && r.entry().reservationId() != null) {
        settled.add(r.entry().reservationId());
      }
    }
    Instant oldest = null;
    for (AuditRecord r : rows) {
      AuditEntry e = r.entry();
      if ("allowed".equals(e.decision())
          && "estimated".equals(e.settlement())
          && "twilio".equals(e.vendor())
          && e.reservationId() != null
          && e.vendorObjectId() != null
          && !settled.contains(e.reservationId())
          && (oldest == null || e.at().isBefore(oldest))) {
        oldest = e.at();
      }
    }
    seconds = oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toMillis() / 1000.0);
  }
}
