package io.keybrake.core.audit;

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

  /** Walks the whole chain from the first row; reports the first row that does not match. */
  ChainVerification verify();
}
