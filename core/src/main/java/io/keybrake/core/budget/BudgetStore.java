package io.keybrake.core.budget;

import java.util.List;

/**
 * {@code BudgetStore} holds fleet and vendor budgets, in the same database as the key registry.
 * Thread-safe. Faults throw {@link io.keybrake.core.store.StoreUnavailableException}.
 */
public interface BudgetStore {

  /**
   * Stores a new budget.
   *
   * @throws IllegalStateException a budget with the same name exists
   */
  void create(Budget budget);

  /** Every budget, by name. */
  List<Budget> list();
}
