package io.keybrake.controlplane.admin;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Ledger} in maps, for tests: the contract's semantics (all-or-nothing reserve, idempotent
 * settle and release) in one lock. Thread-safe (synchronized).
 */
final class InMemoryLedger implements Ledger {
  private final Map<String, long[]> counters = new HashMap<>(); // counterId -> {settled, reserved}
  private final Map<String, Reservation> reservations = new HashMap<>();

  private record Reservation(List<String> counterIds, long amount, ReserveOutcome outcome) {}

  @Override
  public synchronized ReserveOutcome reserve(ReserveRequest request) {
    Reservation known = reservations.get(request.reservationId());
    if (known != null) {
      return known.outcome();
    }
    BudgetLimit tightest = null;
    long tightestSpent = 0;
    for (BudgetLimit l : request.limits()) {
      long[] c = counters.getOrDefault(l.counterId(), new long[2]);
      long total = c[0] + c[1];
      if (total + request.amountMicros() > l.capMicros()) {
        return new ReserveOutcome.Exhausted(l, total, request.amountMicros());
      }
      long after = total + request.amountMicros();
      if (tightest == null || l.capMicros() - after < tightest.capMicros() - tightestSpent) {
        tightest = l;
        tightestSpent = after;
      }
    }
    List<String> ids = request.limits().stream().map(BudgetLimit::counterId).toList();
    for (String id : ids) {
      counters.computeIfAbsent(id, k -> new long[2])[1] += request.amountMicros();
    }
    ReserveOutcome out =
        new ReserveOutcome.Reserved(
            request.reservationId(),
            tightestSpent,
            tightest == null ? Long.MAX_VALUE : tightest.capMicros());
    reservations.put(request.reservationId(), new Reservation(ids, request.amountMicros(), out));
    return out;
  }

  /** This fake forgets a reservation once settled, so a later price has nothing to adjust. */
  @Override
  public synchronized boolean adjust(String reservationId, long actualMicros) {
    return false;
  }

  @Override
  public synchronized void settle(String reservationId, long actualMicros) {
    Reservation r = reservations.remove(reservationId);
    if (r == null || r.outcome() instanceof ReserveOutcome.Exhausted) {
      return;
    }
    for (String id : r.counterIds()) {
      long[] c = counters.get(id);
      c[1] -= r.amount();
      c[0] += actualMicros;
    }
  }

  @Override
  public synchronized void release(String reservationId) {
    Reservation r = reservations.remove(reservationId);
    if (r == null || r.outcome() instanceof ReserveOutcome.Exhausted) {
      return;
    }
    for (String id : r.counterIds()) {
      counters.get(id)[1] -= r.amount();
    }
  }

  @Override
  public synchronized void markUnsettled(String reservationId) {
    // the reservation stays open and keeps counting as spend
  }

  @Override
  public synchronized CounterSnapshot counter(BudgetLimit limit) {
    long[] c = counters.get(limit.counterId());
    return c == null ? CounterSnapshot.EMPTY : new CounterSnapshot(c[0], c[1]);
  }
}
