package io.keybrake.core.ledger;

import java.util.List;
import java.util.Objects;

/**
 * One reservation as the record knows it, for rebuilding a ledger's counters.
 *
 * @param reservationId the id the reservation was made with
 * @param limits every limit it was reserved in (the same as in its {@link ReserveRequest})
 * @param micros the actual cost when {@code settled}, else the reserved amount
 * @param settled whether it was settled; an open or unsettled reservation counts as reserved
 */
public record RecordedSpend(
    String reservationId, List<BudgetLimit> limits, long micros, boolean settled) {

  public RecordedSpend {
    Objects.requireNonNull(reservationId);
    limits = List.copyOf(limits);
    if (micros < 0) {
      throw new IllegalArgumentException("micros must be >= 0");
    }
  }
}
