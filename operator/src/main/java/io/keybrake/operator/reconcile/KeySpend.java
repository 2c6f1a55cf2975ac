package io.keybrake.operator.reconcile;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.money.Micros;
import io.keybrake.operator.crd.SpendStatus;
import java.time.Instant;

/** Copies a key's spend today, from the ledger, into a status. */
final class KeySpend {
  private KeySpend() {}

  static void copy(Ledger ledger, KeyRecord key, Instant now, SpendStatus status) {
    BudgetLimit daily = KeyBudgets.limitsFor(key, now).get(0);
    long spent = ledger.counter(daily).totalMicros();
    status.setSpentUsd(Micros.toUsd(spent).toPlainString());
    status.setCapUsd(Micros.toUsd(daily.capMicros()).toPlainString());
    status.setRemainingUsd(Micros.toUsd(Math.max(0, daily.capMicros() - spent)).toPlainString());
  }
}
