package io.keybrake.cli.metrics;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * An {@link AuditLog} that times appends and queries and tells a listener about every row written
 * (decision metrics count from there). Same meaning and thread-safety as the log it wraps.
 */
final class MeteredAuditLog implements AuditLog {
  private final AuditLog log;
  private final StoreCallMeters meters;
  private final Consumer<AuditEntry> written;

  MeteredAuditLog(AuditLog log, StoreCallMeters meters, Consumer<AuditEntry> written) {
    this.log = log;
    this.meters = meters;
    this.written = written;
  }

  @Override
  public AuditRecord append(AuditEntry entry) {
    AuditRecord r = meters.time("append", () -> log.append(entry));
    written.accept(entry);
    return r;
  }

  @Override
  public List<AuditRecord> query(AuditQuery query) {
    return meters.time("query", () -> log.query(query));
  }

  @Override
  public List<AuditRecord> unpricedEstimates(
      String vendor, Instant since, long afterSeq, int limit) {
    return meters.time("query", () -> log.unpricedEstimates(vendor, since, afterSeq, limit));
  }

  @Override
  public ChainVerification verify() {
    return log.verify();
  }

  /** The wrapped log (for callers that need the adapter's own methods). */
  AuditLog unwrap() {
    return log;
  }
}
