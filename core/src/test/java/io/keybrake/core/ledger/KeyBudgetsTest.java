package io.keybrake.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class KeyBudgetsTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  private static KeyRecord key(ZoneId zone, OptionalLong total) {
    Policy p =
        new Policy(
            50_000_000,
            total,
            List.of("+1"),
            List.of(),
            List.of(),
            Duration.ofSeconds(60),
            Optional.empty(),
            600,
            false,
            zone);
    return new KeyRecord(
        "key_abc",
        "bot",
        "twilio",
        Map.of(),
        p,
        "00",
        new VendorCredential.ApiKey("x"),
        Instant.parse("2026-01-01T00:00:00Z"),
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void utcDailyWindowIsTheUtcCalendarDay() {
    List<BudgetLimit> limits =
        KeyBudgets.limitsFor(
            key(ZoneOffset.UTC, OptionalLong.empty()), Instant.parse("2026-03-08T23:59:59Z"));

    assertThat(limits).hasSize(1);
    BudgetLimit d = limits.get(0);
    assertThat(d.budget()).isEqualTo("key_daily");
    assertThat(d.scope()).isEqualTo("key:key_abc");
    assertThat(d.capMicros()).isEqualTo(50_000_000);
    assertThat(d.windowStart()).isEqualTo(Instant.parse("2026-03-08T00:00:00Z"));
    assertThat(d.windowEnd()).isEqualTo(Instant.parse("2026-03-09T00:00:00Z"));
  }

  @Test
  void midnightStartsTheNextWindow() {
    BudgetLimit d =
        KeyBudgets.limitsFor(
                key(ZoneOffset.UTC, OptionalLong.empty()), Instant.parse("2026-03-09T00:00:00Z"))
            .get(0);
    assertThat(d.windowStart()).isEqualTo(Instant.parse("2026-03-09T00:00:00Z"));
  }

  @Test
  void newYorkDayIsLocalMidnightToMidnight() {
    // 03:00 UTC on 15 Jan is 22:00 on 14 Jan in New York (UTC-5)
    BudgetLimit d =
        KeyBudgets.limitsFor(
                key(NEW_YORK, OptionalLong.empty()), Instant.parse("2026-01-15T03:00:00Z"))
            .get(0);
    assertThat(d.windowStart()).isEqualTo(Instant.parse("2026-01-14T05:00:00Z"));
    assertThat(d.windowEnd()).isEqualTo(Instant.parse("2026-01-15T05:00:00Z"));
  }

  @Test
  void springForwardDayIsTwentyThreeHours() {
    // 2026-03-08: New York clocks go from 02:00 EST to 03:00 EDT
    BudgetLimit d =
        KeyBudgets.limitsFor(
                key(NEW_YORK, OptionalLong.empty()), Instant.parse("2026-03-08T12:00:00Z"))
            .get(0);
    assertThat(d.windowStart()).isEqualTo(Instant.parse("2026-03-08T05:00:00Z"));
    assertThat(d.windowEnd()).isEqualTo(Instant.parse("2026-03-09T04:00:00Z"));
    assertThat(Duration.between(d.windowStart(), d.windowEnd())).isEqualTo(Duration.ofHours(23));
  }

  @Test
  void fallBackDayIsTwentyFiveHours() {
    // 2026-11-01: New York clocks go from 02:00 EDT back to 01:00 EST
    BudgetLimit d =
        KeyBudgets.limitsFor(
                key(NEW_YORK, OptionalLong.empty()), Instant.parse("2026-11-02T04:30:00Z"))
            .get(0);
    assertThat(d.windowStart()).isEqualTo(Instant.parse("2026-11-01T04:00:00Z"));
    assertThat(d.windowEnd()).isEqualTo(Instant.parse("2026-11-02T05:00:00Z"));
    assertThat(Duration.between(d.windowStart(), d.windowEnd())).isEqualTo(Duration.ofHours(25));
  }

  @Test
  void counterIdsDifferBetweenDaysAndMatchWithinADay() {
    KeyRecord k = key(NEW_YORK, OptionalLong.empty());
    String morning =
        KeyBudgets.limitsFor(k, Instant.parse("2026-06-10T13:00:00Z")).get(0).counterId();
    String evening =
        KeyBudgets.limitsFor(k, Instant.parse("2026-06-11T03:59:59Z")).get(0).counterId();
    String nextDay =
        KeyBudgets.limitsFor(k, Instant.parse("2026-06-11T04:00:00Z")).get(0).counterId();
    assertThat(morning).isEqualTo(evening).isNotEqualTo(nextDay);
  }

  @Test
  void totalCapAddsALifetimeLimit() {
    List<BudgetLimit> limits =
        KeyBudgets.limitsFor(
            key(ZoneOffset.UTC, OptionalLong.of(200_000_000)),
            Instant.parse("2026-05-05T10:00:00Z"));

    assertThat(limits).extracting(BudgetLimit::budget).containsExactly("key_daily", "key_total");
    BudgetLimit t = limits.get(1);
    assertThat(t.scope()).isEqualTo("key:key_abc");
    assertThat(t.capMicros()).isEqualTo(200_000_000);
    assertThat(t.windowStart()).isEqualTo(Instant.EPOCH);
    assertThat(t.windowEnd()).isEqualTo(Instant.MAX);
  }
}
