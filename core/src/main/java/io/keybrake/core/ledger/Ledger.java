package io.keybrake.core.ledger;

/**
 * {@code Ledger} holds spend counters and reservations. {@link #reserve} is one atomic step across
 * every limit of the request, for every instance sharing the ledger. Thread-safe. When the ledger
 * cannot answer it throws {@link io.keybrake.core.store.StoreUnavailableException}; callers fail
 * closed.
 */
public interface Ledger {

  /**
   * Reserves the amount in every limit whose {@code settled + reserved + amount <= cap}, or in
   * none. A request whose reservation id is already known returns the earlier outcome unchanged.
   */
  ReserveOutcome reserve(ReserveRequest request);

  /**
   * Replaces the reservation by the actual cost in every counter it touched. Idempotent; an unknown
   * id is ignored. The actual cost may exceed the reservation (the cap then shows it).
   */
  void settle(String reservationId, long actualMicros);

  /**
   * The vendor's final price for an already settled reservation (e.g. Twilio prices a message after
   * creating it): the settled amount becomes {@code actualMicros} in every counter the reservation
   * touched. Idempotent; a reservation that is not settled, or unknown, is left alone.
   *
   * @return true when the settled amount changed
   */
  boolean adjust(String reservationId, long actualMicros);

  /** Removes the reservation: the vendor did not charge. Idempotent. */
  void release(String reservationId);

  /** Keeps the reservation open as spend (the vendor may have acted) and marks it unsettled. */
  void markUnsettled(String reservationId);

  /** The state of one counter ({@link BudgetLimit#counterId()}); empty if never used. */
  CounterSnapshot counter(BudgetLimit limit);
}
