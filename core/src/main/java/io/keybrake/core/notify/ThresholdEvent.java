package io.keybrake.core.notify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A budget crossed one of its notification thresholds (50, 80 or 100 % of its cap) in one window.
 * Its {@link #id()} depends only on the counter (budget + window) and the threshold, so the same
 * crossing seen by two instances, or again after a restart, is the same event. Immutable.
 *
 * @param counterId the ledger counter ({@code BudgetLimit.counterId()}): scope, budget, window
 * @param percent 50, 80 or 100
 * @param scope {@code key:<id>} for a key's own cap, {@code budget:<name>} for a fleet budget
 * @param budget {@code key_daily}, {@code key_total}, or {@code <name>/daily|monthly}
 * @param spentMicros settled + reserved when the crossing was seen
 * @param capMicros the cap
 * @param windowStart start of the window ({@link Instant#EPOCH} for a lifetime cap)
 * @param windowEnd end of the window ({@link Instant#MAX} for a lifetime cap)
 * @param at when the crossing was seen
 */
public record ThresholdEvent(
    String counterId,
    int percent,
    String scope,
    String budget,
    long spentMicros,
    long capMicros,
    Instant windowStart,
    Instant windowEnd,
    Instant at) {

  public ThresholdEvent {
    Objects.requireNonNull(counterId);
    Objects.requireNonNull(scope);
    Objects.requireNonNull(budget);
    Objects.requireNonNull(windowStart);
    Objects.requireNonNull(windowEnd);
    Objects.requireNonNull(at);
  }

  /** {@code evt_} + 24 hex digits of SHA-256 over counter and threshold. */
  public String id() {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest((counterId + "#" + percent).getBytes(StandardCharsets.UTF_8));
      return "evt_" + HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
