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
    Set<String> settled = new HashSet<>();
    for (AuditEntry e : entries) {
      if ("settled".equals(e.decision()) && e.reservationId() != null) {
        settled.add(e.reservationId());
      }
    }
    List<AuditRecord> out = new ArrayList<>();
    for (int i = (int) Math.max(0, afterSeq); i < entries.size() && out.size() < limit; i++) {
      AuditEntry e = entries.get(i);
      if (vendor.equals(e.vendor())
          && "allowed".equals(e.decision())
          && "estimated".equals(e.settlement())
          && e.vendorObjectId() != null
          && e.reservationId() != null
          && !e.at().isBefore(since)
          && !settled.contains(e.reservationId())) {
        out.add(new AuditRecord(i + 1, e, "", ""));
      }
    }
    return out;
  }

  @Override
  public synchronized ChainVerification verify() {
    return new ChainVerification(entries.size(), OptionalLong.empty(), null);
  }
}
