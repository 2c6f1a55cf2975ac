package io.keybrake.controlplane.admin;

import io.keybrake.core.audit.AuditChain;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * An {@link AuditLog} in a list, for tests: hash-chained like the real ones; {@code since}
 * inclusive, {@code until} exclusive. Thread-safe (synchronized).
 */
final class InMemoryAuditLog implements AuditLog {
  private final List<AuditRecord> rows = new ArrayList<>();

  @Override
  public synchronized AuditRecord append(AuditEntry entry) {
    long seq = rows.size() + 1L;
    String prev = rows.isEmpty() ? AuditChain.GENESIS : rows.get(rows.size() - 1).hash();
    AuditRecord r = new AuditRecord(seq, entry, prev, AuditChain.hash(seq, prev, entry));
    rows.add(r);
    return r;
  }

  @Override
  public synchronized List<AuditRecord> query(AuditQuery q) {
    List<AuditRecord> out = new ArrayList<>();
    for (int i = rows.size() - 1; i >= 0 && out.size() < q.limit(); i--) {
      AuditRecord r = rows.get(i);
      AuditEntry e = r.entry();
      if (q.keyId().isPresent() && !q.keyId().get().equals(e.keyId())) {
        continue;
      }
      if (q.since().isPresent() && e.at().isBefore(q.since().get())) {
        continue;
      }
      if (q.until().isPresent() && !e.at().isBefore(q.until().get())) {
        continue;
      }
      out.add(r);
    }
    return out;
  }

  @Override
  public synchronized List<AuditRecord> unpricedEstimates(
      String vendor, Instant since, long afterSeq, int limit) {
    return io.keybrake.core.testing.InMemoryAuditLog.selectUnpriced(
        rows, vendor, since, afterSeq, limit);
  }

  @Override
  public synchronized ChainVerification verify() {
    String prev = AuditChain.GENESIS;
    for (AuditRecord r : rows) {
      if (!r.prevHash().equals(prev)
          || !r.hash().equals(AuditChain.hash(r.seq(), prev, r.entry()))) {
        return new ChainVerification(r.seq(), OptionalLong.of(r.seq()), "hash mismatch");
      }
      prev = r.hash();
    }
    return new ChainVerification(rows.size(), OptionalLong.empty(), null);
  }

  /** Forgets everything (between cases of a table-driven test). */
  synchronized void clear() {
    rows.clear();
  }
}
