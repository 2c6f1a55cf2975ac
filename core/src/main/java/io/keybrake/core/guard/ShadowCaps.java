package io.keybrake.core.guard;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.money.Micros;
import io.keybrake.core.policy.PolicyParser;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Caps in shadow mode: a call over a cap is forwarded and its spend counted in the same counters
 * (reserved against a cap raised to {@link PolicyParser#MAX_CAP_USD}), and the cap it would have
 * hit is reported from a read of the counters before the reservation. The read and the reservation
 * are two steps, so under concurrency the report is approximate; the spend counted is exact.
 * Stateless and thread-safe.
 */
public final class ShadowCaps {
  private static final long RAISED = Micros.fromUsd(PolicyParser.MAX_CAP_USD);

  private ShadowCaps() {}

  /** The cap refusal a call of {@code amount} would get, read from the counters now. */
  public static Optional<Refusal> wouldExceed(
      Ledger ledger, List<BudgetLimit> limits, long amount) {
    for (BudgetLimit limit : limits) {
      long spent = ledger.counter(limit).totalMicros();
      if (spent > limit.capMicros() - amount) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("spent_usd", Micros.toUsd(spent));
        details.put("cap_usd", Micros.toUsd(limit.capMicros()));
        details.put("requested_usd", Micros.toUsd(amount));
        details.put("budget", limit.budget());
        return Optional.of(
            new Refusal(
                RefusalCode.CAP_EXHAUSTED,
                "budget " + limit.budget() + " would be exhausted (shadow mode)",
                details));
      }
    }
    return Optional.empty();
  }

  /** The same limits (same counters) with their caps raised so a reservation always fits. */
  public static List<BudgetLimit> uncapped(List<BudgetLimit> limits) {
    return limits.stream()
        .map(
            l ->
                new BudgetLimit(
                    l.budget(),
                    l.scope(),
                    Math.max(l.capMicros(), RAISED),
                    l.windowStart(),
                    l.windowEnd()))
        .toList();
  }
}
