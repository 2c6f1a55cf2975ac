package io.keybrake.core.budget;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.BudgetLimit;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/** The ledger limits a key's call must fit in because of fleet and vendor budgets. Stateless. */
public final class BudgetLimits {
  private BudgetLimits() {}

  /** The counters' scope for a budget. */
  public static String scope(Budget b) {
    return "budget:" + b.name();
  }

  /** Every limit of every budget that covers the key, for the windows containing {@code now}. */
  public static List<BudgetLimit> limitsFor(List<Budget> budgets, KeyRecord key, Instant now) {
    List<BudgetLimit> out = new ArrayList<>();
    for (Budget b : budgets) {
      if (b.covers(key.labels(), key.vendor())) {
        out.addAll(limitsOf(b, now));
      }
    }
    return out;
  }

  /** A budget's daily and monthly limits (UTC) for the windows containing {@code now}. */
  public static List<BudgetLimit> limitsOf(Budget b, Instant now) {
    List<BudgetLimit> out = new ArrayList<>(2);
    LocalDate day = now.atZone(ZoneOffset.UTC).toLocalDate();
    if (b.dailyCapMicros().isPresent()) {
      ZonedDateTime start = day.atStartOfDay(ZoneOffset.UTC);
      out.add(
          new BudgetLimit(
              b.name() + "/daily",
              scope(b),
              b.dailyCapMicros().getAsLong(),
              start.toInstant(),
              start.plusDays(1).toInstant()));
    }
    if (b.monthlyCapMicros().isPresent()) {
      ZonedDateTime start = day.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC);
      out.add(
          new BudgetLimit(
              b.name() + "/monthly",
              scope(b),
              b.monthlyCapMicros().getAsLong(),
              start.toInstant(),
              start.plusMonths(1).toInstant()));
    }
    return out;
  }
}
