package io.keybrake.core.audit;

import java.time.Instant;
import java.util.List;

/**
 * {@code AuditLog} is append-only: one row per decision, each chained to the previous by hash.
 * Thread-safe; rows are chained in the order {@link #append} is called. Faults throw {@link
 * io.keybrake.core.store.StoreUnavailableException}.
 */
public interface AuditLog {

  /** Appends the entry durably and returns it with its sequence number and hashes. */
  AuditRecord append(AuditEntry entry);

  /** Rows matching the query, newest first. */
  List<AuditRecord> query(AuditQuery query);

  /**
   * What the price reconciler still has to settle for {@code vendor}, oldest first: rows of allowed
   * calls settled at an estimate ({@code settlement = estimated}) that name a vendor object and a
   * reservation, with no {@code settled} row for that reservation yet, recorded at or after {@code
   * since} and with a sequence number above {@code afterSeq} (a caller's cursor: 0 from the start).
   * Unlike {@link #query}, not limited to the newest rows: a log busier than {@code limit} rows per
   * pass still yields every one in turn.
   */
  List<AuditRecord> unpricedEstimates(String vendor, Instant since, long afterSeq, int limit);

  /** Walks the whole chain from the first row; reports the first row that does not match. */
  ChainVerification verify();
}
