package io.keybrake.core.budget;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.BudgetLimit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Serves the budget list from memory for at most {@code ttl}, so a decision does not read the
 * registry; {@link #invalidate} makes the next call read it (after {@code POST /budgets}). Once the
 * list is {@code ttl} old one caller reloads it while the others keep the old list, for at most
 * {@code 2 x ttl} in all. When the registry cannot answer past that, its fault reaches the caller,
 * which fails closed. Thread-safe.
 */
public final class BudgetCache {
  private record Loaded(List<Budget> budgets, Instant at) {}

  private final BudgetStore store;
  private final Clock clock;
  private final Duration ttl;
  private volatile Loaded loaded;
  private final java.util.concurrent.atomic.AtomicBoolean refreshing =
      new java.util.concurrent.atomic.AtomicBoolean();

  public BudgetCache(BudgetStore store, Clock clock, Duration ttl) {
    this.store = store;
    this.clock = clock;
    this.ttl = ttl;
  }

  public List<Budget> budgets() {
    Instant now = clock.instant();
    Loaded l = loaded;
    if (l != null && now.isBefore(l.at().plus(ttl))) {
      return l.budgets();
    }
    boolean usable = l != null && now.isBefore(l.at().plus(ttl).plus(ttl));
    if (usable && !refreshing.compareAndSet(false, true)) {
      return l.budgets(); // one caller reads the store; the others keep the list they have
    }
    try {
      List<Budget> fresh = List.copyOf(store.list());
      loaded = new Loaded(fresh, now);
      return fresh;
    } finally {
      refreshing.set(false);
    }
  }

  /** The fleet and vendor budget limits for this key now. */
  public List<BudgetLimit> limitsFor(KeyRecord key, Instant now) {
    return BudgetLimits.limitsFor(budgets(), key, now);
  }

  public void invalidate() {
    loaded = null;
  }
}
