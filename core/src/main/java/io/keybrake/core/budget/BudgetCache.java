package io.keybrake.core.budget;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.BudgetLimit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Serves the budget list from memory for at most {@code ttl}, so a decision does not read the
 * registry; {@link #invalidate} makes the next call read it (after {@code POST /budgets}). When the
 * registry cannot answer past the TTL, its fault reaches the caller, which fails closed.
 * Thread-safe.
 */
public final class BudgetCache {
  private record Loaded(List<Budget> budgets, Instant at) {}

  private final BudgetStore store;
  private final Clock clock;
  private final Duration ttl;
  private volatile Loaded loaded;

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
    List<Budget> fresh = List.copyOf(store.list());
    loaded = new Loaded(fresh, now);
    return fresh;
  }

  /** The fleet and vendor budget limits for this key now. */
  public List<BudgetLimit> limitsFor(KeyRecord key, Instant now) {
    return BudgetLimits.limitsFor(budgets(), key, now);
  }

  public void invalidate() {
    loaded = null;
  }
}
