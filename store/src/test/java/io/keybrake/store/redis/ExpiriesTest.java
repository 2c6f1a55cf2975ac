package io.keybrake.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.ledger.BudgetLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpiriesTest {
  private static final Instant DAY = Instant.parse("2026-03-01T00:00:00Z");
  private static final BudgetLimit DAILY =
      new BudgetLimit("key_daily", "key:k", 100, DAY, DAY.plus(Duration.ofDays(1)));
  private static final BudgetLimit LIFETIME =
      new BudgetLimit("key_total", "key:k", 100, Instant.EPOCH, Instant.MAX);

  @Test
  void dailyCounterExpiresAGraceAfterItsWindow() {
    assertThat(Expiries.counter(DAILY, Duration.ofHours(1)))
        .isEqualTo(DAY.plus(Duration.ofHours(25)).toEpochMilli());
  }

  @Test
  void lifetimeCounterNeverExpires() {
    assertThat(Expiries.counter(LIFETIME, Duration.ofHours(1))).isZero();
  }

  @Test
  void reservationOutlivesItsLongestWindowAndTheRetention() {
    Instant at = DAY.plus(Duration.ofHours(23));
    assertThat(
            Expiries.reservation(
                List.of(DAILY, LIFETIME), at, Duration.ofMinutes(10), Duration.ofHours(1)))
        .isEqualTo(DAY.plus(Duration.ofHours(25)).toEpochMilli());
    assertThat(
            Expiries.reservation(List.of(DAILY, LIFETIME), at, Duration.ofDays(2), Duration.ZERO))
        .isEqualTo(at.plus(Duration.ofDays(2)).toEpochMilli());
  }
}
