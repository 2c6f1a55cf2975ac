package io.keybrake.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.budget.Budget;
import io.keybrake.core.notify.ThresholdEvent;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Threshold claims and budget webhook URLs in PostgreSQL, shared by two "instances". */
class PostgresThresholdStoreIT {
  static final Instant DAY = Instant.parse("2026-11-22T00:00:00Z");

  @Test
  void twoInstancesClaimEachThresholdOnceAndABudgetKeepsItsWebhook() throws Exception {
    try (TestSchema schema = TestSchema.create();
        PostgresDatabase a = PostgresDatabase.open(schema.url());
        PostgresDatabase b = PostgresDatabase.open(schema.url())) {
      ThresholdEvent e =
          new ThresholdEvent(
              "budget:fleet|fleet/daily|" + DAY.getEpochSecond(),
              80,
              "budget:fleet",
              "fleet/daily",
              8_100_000,
              10_000_000,
              DAY,
              DAY.plusSeconds(86_400),
              DAY.plusSeconds(60));
      PostgresThresholdStore first = new PostgresThresholdStore(a);
      PostgresThresholdStore second = new PostgresThresholdStore(b);
      assertThat(first.claim(e)).isTrue();
      assertThat(second.claim(e)).isFalse();
      assertThat(second.undelivered()).containsExactly(e);
      first.attempted(e.id(), 2);
      first.delivered(e.id(), DAY.plusSeconds(61));
      assertThat(second.undelivered()).isEmpty();

      PostgresBudgetStore budgets = new PostgresBudgetStore(a);
      URI hook = URI.create("https://hooks.example.com/T1/B2/secret");
      budgets.create(
          new Budget(
              "fleet",
              Map.of("team", "a"),
              Optional.empty(),
              OptionalLong.of(10_000_000),
              OptionalLong.empty(),
              DAY,
              Optional.of(hook)));
      assertThat(new PostgresBudgetStore(b).list().get(0).webhookUrl()).contains(hook);
    }
  }
}
