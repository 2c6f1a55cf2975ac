package io.keybrake.core.ledger;

import java.time.Instant;
import java.util.List;

/**
 * {@code SpendRecord} is the source of record a shared ledger is rebuilt from when it lost its
 * counters (a Redis restart without persistence, a failover): every reservation that still counts
 * in a window open at {@code now}. In fleet mode it is read from the audit log. Implementations are
 * thread-safe; faults throw {@link io.keybrake.core.store.StoreUnavailableException}.
 */
public interface SpendRecord {

  /**
   * Reservations that count in at least one limit whose window is open at {@code now}: settled ones
   * at their actual cost, and those still reserved or unsettled at their reserved amount. A
   * released or refused reservation is not listed.
   */
  List<RecordedSpend> openSpend(Instant now);
}
