package io.keybrake.store.redis;

import io.keybrake.core.ledger.BudgetLimit;
import java.time.Duration;
import java.time.Instant;

/** When ledger keys expire, as unix milliseconds; {@code 0} means never. Stateless. */
final class Expiries {
  private Expiries() {}

  /** A counter lives until its window's end plus the grace; a lifetime counter forever. */
  static long counter(BudgetLimit limit, Duration grace) {
    if (limit.windowEnd().equals(Instant.MAX)) {
      return 0;
    }
    try {
      return limit.windowEnd().plus(grace).toEpochMilli();
    } catch (ArithmeticException | java.time.DateTimeException e) {
      return 0;
    }
  }

  /**
   * A reservation lives at least {@code retention} after {@code at}, and as long as the longest of
   * its windowed counters.
   */
  static long reservation(
      Iterable<BudgetLimit> limits, Instant at, Duration retention, Duration grace) {
    long expiry = at.plus(retention).toEpochMilli();
    for (BudgetLimit l : limits) {
      long c = counter(l, grace);
      if (c > expiry) {
        expiry = c;
      }
    }
    return expiry;
  }
}
