package io.keybrake.cli.metrics;

import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetLimits;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.money.Micros;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spend, reservations, cap and the near-limit ratio of every fleet and vendor budget for its
 * current window, read from the ledger on each scrape. Labelled by budget name and window ({@code
 * daily}, {@code monthly}): budgets are few and named by the operator. Keys' own caps are not
 * exported per key (that would label by key id). Thread-safe.
 */
final class BudgetGauges {
  private static final Logger log = LoggerFactory.getLogger(BudgetGauges.class);

  private final BudgetStore budgets;
  private final Ledger ledger;
  private final Clock clock;
  private final MultiGauge spent;
  private final MultiGauge reserved;
  private final MultiGauge cap;
  private final MultiGauge ratio;

  BudgetGauges(MeterRegistry registry, BudgetStore budgets, Ledger ledger, Clock clock) {
    this.budgets = budgets;
    this.ledger = ledger;
    this.clock = clock;
    spent =
        MultiGauge.builder("keybrake_budget_spent_usd")
            .description("Settled spend of a fleet or vendor budget in its current window, USD")
            .register(registry);
    reserved =
        MultiGauge.builder("keybrake_budget_reserved_usd")
            .description(
                "Open reservations of a budget in its current window, USD (calls in flight or"
                    + " unsettled)")
            .register(registry);
    cap =
        MultiGauge.builder("keybrake_budget_cap_usd")
            .description("Cap of a budget for its window, USD")
            .register(registry);
    ratio =
        MultiGauge.builder("keybrake_budget_usage_ratio")
            .description(
                "(spent + reserved) / cap of a budget in its current window: near limit at 0.8,"
                    + " capped at 1")
            .register(registry);
  }

  /** Reads every budget's counters; on a store fault the last values stay. */
  void refresh() {
    List<MultiGauge.Row<?>> s = new ArrayList<>();
    List<MultiGauge.Row<?>> r = new ArrayList<>();
    List<MultiGauge.Row<?>> c = new ArrayList<>();
    List<MultiGauge.Row<?>> q = new ArrayList<>();
    try {
      Instant now = clock.instant();
      for (Budget b : budgets.list()) {
        for (BudgetLimit limit : BudgetLimits.limitsOf(b, now)) {
          CounterSnapshot snap = ledger.counter(limit);
          String window = limit.budget().substring(limit.budget().lastIndexOf('/') + 1);
          Tags tags = Tags.of("budget", b.name(), "window", window);
          s.add(MultiGauge.Row.of(tags, usd(snap.settledMicros())));
          r.add(MultiGauge.Row.of(tags, usd(snap.reservedMicros())));
          c.add(MultiGauge.Row.of(tags, usd(limit.capMicros())));
          q.add(
              MultiGauge.Row.of(
                  tags,
                  limit.capMicros() == 0
                      ? 1.0
                      : (double) snap.totalMicros() / (double) limit.capMicros()));
        }
      }
    } catch (RuntimeException e) {
      log.debug("budget gauges not refreshed: {}", e.getMessage());
      return;
    }
    spent.register(s, true);
    reserved.register(r, true);
    cap.register(c, true);
    ratio.register(q, true);
  }

  private static double usd(long micros) {
    return Micros.toUsd(micros).doubleValue();
  }
}
