package io.keybrake.core.pipeline;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.BudgetLimit;
import java.time.Instant;
import java.util.List;

/** Limits beyond the key's own caps that a call must fit in (fleet and vendor budgets). */
@FunctionalInterface
public interface LimitSource {
  LimitSource NONE = (key, now) -> List.of();

  List<BudgetLimit> limitsFor(KeyRecord key, Instant now);
}
