package io.keybrake.cli.metrics;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.util.function.BiConsumer;

/**
 * A {@link Ledger} that times every call and tells a listener about each reservation (for budget
 * thresholds). Same meaning and thread-safety as the ledger it wraps.
 */
final class MeteredLedger implements Ledger {
  private final Ledger ledger;
  private final StoreCallMeters meters;
  private final BiConsumer<ReserveRequest, ReserveOutcome> reserved;

  MeteredLedger(
      Ledger ledger, StoreCallMeters meters, BiConsumer<ReserveRequest, ReserveOutcome> reserved) {
    this.ledger = ledger;
    this.meters = meters;
    this.reserved = reserved;
  }

  @Override
  public ReserveOutcome reserve(ReserveRequest request) {
    ReserveOutcome outcome = meters.time("reserve", () -> ledger.reserve(request));
    reserved.accept(request, outcome);
    return outcome;
  }

  @Override
  public void settle(String reservationId, long actualMicros) {
    meters.run("settle", () -> ledger.settle(reservationId, actualMicros));
  }

  @Override
  public boolean adjust(String reservationId, long actualMicros) {
    return meters.time("adjust", () -> ledger.adjust(reservationId, actualMicros));
  }

  @Override
  public void release(String reservationId) {
    meters.run("release", () -> ledger.release(reservationId));
  }

  @Override
  public void markUnsettled(String reservationId) {
    meters.run("mark_unsettled", () -> ledger.markUnsettled(reservationId));
  }

  @Override
  public CounterSnapshot counter(BudgetLimit limit) {
    return meters.time("counter", () -> ledger.counter(limit));
  }

  /** The ledger this one times. */
  Ledger delegate() {
    return ledger;
  }
}
