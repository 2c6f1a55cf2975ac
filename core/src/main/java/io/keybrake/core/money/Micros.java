package io.keybrake.core.money;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Exact money: amounts are {@code long} micro-dollars (1 USD = 1,000,000). {@link BigDecimal}
 * appears only at the edges (JSON in, JSON out). Thread-safe (stateless).
 */
public final class Micros {
  public static final long PER_USD = 1_000_000L;

  private Micros() {}

  /** USD to micro-dollars, rounding up (a cap or a price is never made smaller by rounding). */
  public static long fromUsd(BigDecimal usd) {
    return usd.movePointRight(6).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** Micro-dollars to USD with six decimals, trailing zeros stripped to at least two. */
  public static BigDecimal toUsd(long micros) {
    BigDecimal v = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
    return v.scale() < 2 ? v.setScale(2, RoundingMode.UNNECESSARY) : v;
  }

  /** The USD text of an amount, e.g. {@code "0.0079"} or {@code "1.00"}. */
  public static String format(long micros) {
    return toUsd(micros).toPlainString();
  }
}
