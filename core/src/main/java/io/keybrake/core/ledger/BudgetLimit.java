package io.keybrake.core.ledger;

import java.time.Instant;
import java.util.Objects;

/**
 * One budget a call is checked against, for one window: a key's daily cap, its lifetime cap, a
 * fleet or vendor budget. The counter it reserves in is identified by {@link #counterId()}.
 *
 * @param budget what the 429 body names, e.g. {@code "key_daily"}, {@code "key_total"} or a
 *     budget's name
 * @param scope the counter's owner, e.g. {@code "key:key_abc"} or {@code "budget:eng-fleet"}
 * @param capMicros the cap in micro-dollars
 * @param windowStart start of the window (inclusive); {@link Instant#EPOCH} for lifetime caps
 * @param windowEnd end of the window (exclusive); {@link Instant#MAX} for lifetime caps
 */
public record BudgetLimit(
    String budget, String scope, long capMicros, Instant windowStart, Instant windowEnd) {

  public BudgetLimit {
    Objects.requireNonNull(budget);
    Objects.requireNonNull(scope);
    Objects.requireNonNull(windowStart);
    Objects.requireNonNull(windowEnd);
    if (capMicros < 0) {
      throw new IllegalArgumentException("cap must be >= 0");
    }
  }

  /** The counter's identity: scope, budget and window start. Stable across restarts. */
  public String counterId() {
    return scope + "|" + budget + "|" + windowStart.getEpochSecond();
  }
}
