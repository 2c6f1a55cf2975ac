package io.keybrake.cli.metrics;

import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.pipeline.UnitOfWork;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Tells a listener about reservations once they are committed: a reservation made inside a {@link
 * UnitOfWork} (the embedded store's SQLite transaction) is held until the outermost unit returns,
 * so a listener that reads the ledger sees it; one made outside a unit (Redis: atomic when it
 * returns) is told at once. Thread-safe; units are per thread.
 */
final class ReservationRelay {
  private record Held(ReserveRequest request, ReserveOutcome outcome) {}

  private final Supplier<BiConsumer<ReserveRequest, ReserveOutcome>> listener;
  private final ThreadLocal<List<Held>> held = new ThreadLocal<>();

  ReservationRelay(Supplier<BiConsumer<ReserveRequest, ReserveOutcome>> listener) {
    this.listener = listener;
  }

  void reserved(ReserveRequest request, ReserveOutcome outcome) {
    List<Held> inUnit = held.get();
    if (inUnit != null) {
      inUnit.add(new Held(request, outcome));
    } else {
      listener.get().accept(request, outcome);
    }
  }

  /** {@code unit}, holding the reservations made inside it until it returns. */
  UnitOfWork wrap(UnitOfWork unit) {
    return new UnitOfWork() {
      @Override
      public <T> T inOne(String what, Supplier<T> work) {
        if (held.get() != null) {
          return unit.inOne(what, work); // nested: the outermost unit tells
        }
        List<Held> mine = new ArrayList<>();
        held.set(mine);
        T result;
        try {
          result = unit.inOne(what, work);
        } finally {
          held.remove();
        }
        BiConsumer<ReserveRequest, ReserveOutcome> l = listener.get();
        for (Held h : mine) {
          l.accept(h.request(), h.outcome());
        }
        return result;
      }
    };
  }
}
