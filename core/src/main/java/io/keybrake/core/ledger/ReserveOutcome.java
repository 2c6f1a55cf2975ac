package io.keybrake.core.ledger;

/** What a reserve step decided. A refusal is a value, not an exception. */
public sealed interface ReserveOutcome {

  /**
   * Reserved in every limit.
   *
   * @param spentMicros settled + reserved in the tightest limit after this reservation
   * @param capMicros that limit's cap
   */
  record Reserved(String reservationId, long spentMicros, long capMicros)
      implements ReserveOutcome {
    public long remainingMicros() {
      return Math.max(0, capMicros - spentMicros);
    }
  }

  /**
   * Refused: {@code limit} could not take the amount; nothing was reserved anywhere.
   *
   * @param spentMicros settled + reserved in that limit now (without this call)
   */
  record Exhausted(BudgetLimit limit, long spentMicros, long requestedMicros)
      implements ReserveOutcome {}
}
