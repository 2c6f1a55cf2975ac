package io.keybrake.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.budget.Budget;
import io.keybrake.core.notify.ThresholdEvent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteThresholdStoreTest {
  static final Instant DAY = Instant.parse("2026-11-22T00:00:00Z");
  @TempDir Path dir;

  static ThresholdEvent event(int percent, Instant end) {
    return new ThresholdEvent(
        "key:key_a|key_daily|" + DAY.getEpochSecond(),
        percent,
        "key:key_a",
        "key_daily",
        600_000,
        1_000_000,
        DAY,
        end,
        DAY.plusSeconds(3600));
  }

  @Test
  void eachThresholdIsClaimedOnceAndSurvivesAReopen() {
    ThresholdEvent fifty = event(50, DAY.plusSeconds(86_400));
    ThresholdEvent lifetime = event(80, Instant.MAX);
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      SqliteThresholdStore store = new SqliteThresholdStore(db);
      assertThat(store.claim(fifty)).isTrue();
      assertThat(store.claim(fifty)).isFalse();
      assertThat(store.claim(lifetime)).isTrue();
      store.attempted(fifty.id(), 3);
      store.delivered(lifetime.id(), DAY.plusSeconds(3700));
    }
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      SqliteThresholdStore store = new SqliteThresholdStore(db);
      assertThat(store.claim(fifty)).isFalse();
      assertThat(store.undelivered()).containsExactly(fifty);
      store.delivered(fifty.id(), DAY.plusSeconds(3800));
      assertThat(store.undelivered()).isEmpty();
    }
  }

  @Test
  void aBudgetKeepsItsWebhookUrl() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      SqliteBudgetStore budgets = new SqliteBudgetStore(db);
      budgets.create(
          new Budget(
              "with-hook",
              Map.of("team", "a"),
              Optional.empty(),
              OptionalLong.of(5_000_000),
              OptionalLong.empty(),
              DAY,
              Optional.of(URI.create("https://hooks.example.com/T1/B2/secret"))));
      budgets.create(
          new Budget(
              "without",
              Map.of(),
              Optional.of("twilio"),
              OptionalLong.of(1_000_000),
              OptionalLong.empty(),
              DAY));
      assertThat(budgets.list())
          .extracting(Budget::webhookUrl)
          .containsExactly(
              Optional.of(URI.create("https://hooks.example.com/T1/B2/secret")), Optional.empty());
    }
  }
}
