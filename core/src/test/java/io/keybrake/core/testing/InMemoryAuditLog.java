package io.keybrake.core.testing;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.core.store.StoreUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An in-memory {@link AuditLog} fake keeping entries in order (no hash chain). {@link #unavailable}
 * makes appends fail as a log that cannot be written. Thread-safe.
 */
public final class InMemoryAuditLog implements AuditLog {
  private final List<AuditEntry> entries = new ArrayList<>();
  private volatile boolean unavailable;

  public void unavailable(boolean down) {
    this.unavailable = down;
  }

  /** Every entry appended, oldest first. */
  public synchronized List<AuditEntry> entries() {
    return List.copyOf(entries);
  }

  /** The newest entry. */
  public synchronized AuditEntry last() {
    return entries.get(entries.size() - 1);
  }

  @Override
  public synchronized AuditRecord append(AuditEntry entry) {
    if (unavailable) {
      throw new StoreUnavailableException("the in-memory audit log is down (test)");
    }
    entries.add(entry);
    return new AuditRecord(entries.size(), entry, "", "");
  }

  @Override
  public synchronized List<AuditRecord> query(AuditQuery query) {
    List<AuditRecord> out = new ArrayList<>();
    for (int i = entries.size() - 1; i >= 0; i--) {
      out.add(new AuditRecord(i + 1, entries.get(i), "", ""));
    }
    return out;
  }

  @Override
  public synchronized List<AuditRecord> unpricedEstimates(
      String vendor, Instant since, long afterSeq, int limit) {
    List<AuditRecord> rows = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      rows.add(new AuditRecord(i + 1, entries.get(i), "", ""));
    }
    return selectUnpriced(rows, vendor, since, afterSeq, limit);
  }

  /**
   * {@link AuditLog#unpricedEstimates} over {@code oldestFirst}, the rows a fake holds in seq
   * order; shared by the in-memory audit logs of the tests.
   */
  public static List<AuditRecord> selectUnpriced(
      List<AuditRecord> oldestFirst, String vendor, Instant since, long afterSeq, int limit) {
    Set<String> settled = new HashSet<>();
    for (AuditRecord r : oldestFirst) {
      if ("settled".equals(r.entry().decision()) && r.entry().reservationId() != null) {
        settled.add(r.entry().reservationId());
      }
    }
    List<AuditRecord> out = new ArrayList<>();
    for (AuditRecord r : oldestFirst) {
      AuditEntry e = r.entry();
      if (out.size() < limit
          && r.seq() > afterSeq
          && vendor.equals(e.vendor())
          && "allowed".equals(e.decision())
          && "estimated".equals(e.settlement())
          && e.vendorObjectId() != null
          && e.reservationId() != null
          && !e.at().isBefore(since)
          && !settled.contains(e.reservationId())) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public synchronized ChainVerification verify() {
    return new ChainVerification(entries.size(), OptionalLong.empty(), null);
  }
}
