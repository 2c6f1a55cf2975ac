package io.keybrake.core.ledger;

import java.time.Instant;
import java.util.List;

/**
 * Ask to reserve {@code amountMicros} in every one of {@code limits} at once, or in none.
 *
 * @param reservationId unique id chosen by the caller; settle and release name it
 */
public record ReserveRequest(
    String reservationId, String keyId, List<BudgetLimit> limits, long amountMicros, Instant at) {

  public ReserveRequest {
    limits = List.copyOf(limits);
    if (amountMicros < 0) {
      throw new IllegalArgumentException("amount must be >= 0");
    }
  }
}
