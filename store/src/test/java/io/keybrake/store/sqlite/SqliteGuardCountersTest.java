package io.keybrake.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.guard.GuardCounters;
import io.keybrake.core.guard.GuardCounters.Once;
import io.keybrake.core.guard.GuardCounters.Step;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteGuardCountersTest {
  static final Instant HOUR = Instant.parse("2026-11-22T12:00:00Z");
  @TempDir Path dir;

  static Step calls(String id, long limit) {
    return new Step(id, 1, limit, HOUR.plusSeconds(3600), Optional.empty());
  }

  @Test
  void enforcedLimitLetsExactlyTheLimitThroughAndCountsNothingPastIt() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      GuardCounters c = new SqliteGuardCounters(db);
      for (int i = 1; i <= 3; i++) {
        GuardCounters.Tally t = c.count("key_a", List.of(calls("dest", 3)), true, HOUR);
        assertThat(t.exceeded()).isEqualTo(-1);
        assertThat(t.totals()[0]).isEqualTo(i);
      }
      GuardCounters.Tally over = c.count("key_a", List.of(calls("dest", 3)), true, HOUR);
      assertThat(over.exceeded()).isZero();
      assertThat(over.totals()[0]).isEqualTo(3);
      // another key has its own counter
      assertThat(c.count("key_b", List.of(calls("dest", 3)), true, HOUR).totals()[0]).isOne();
      // past the window's end the counter starts again
      assertThat(
              c.count("key_a", List.of(calls("dest", 3)), true, HOUR.plusSeconds(3600)).totals()[0])
          .isOne();
    }
  }

  @Test
  void oneStepOverItsLimitAddsNothingToTheOthers() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      GuardCounters c = new SqliteGuardCounters(db);
      c.count("key_a", List.of(calls("full", 1)), true, HOUR);
      GuardCounters.Tally t =
          c.count("key_a", List.of(calls("other", 5), calls("full", 1)), true, HOUR);
      assertThat(t.exceeded()).isEqualTo(1);
      assertThat(c.count("key_a", List.of(calls("other", 5)), true, HOUR).totals()[0]).isOne();
    }
  }

  @Test
  void withoutEnforcingEveryCallCountsAndTheFirstOverIsNamed() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      GuardCounters c = new SqliteGuardCounters(db);
      c.count("key_a", List.of(calls("dest", 1)), false, HOUR);
      GuardCounters.Tally t = c.count("key_a", List.of(calls("dest", 1)), false, HOUR);
      assertThat(t.exceeded()).isZero();
      assertThat(t.totals()[0]).isEqualTo(2);
    }
  }

  @Test
  void aStepWithALiveMarkerIsCountedOncePerMarkerLifetime() {
    try (SqliteDatabase db = SqliteDatabase.open(dir)) {
      GuardCounters c = new SqliteGuardCounters(db);
      Step same =
          new Step(
              "same",
              1,
              10,
              HOUR.plusSeconds(3600),
              Optional.of(new Once("m", Duration.ofSeconds(60))));
      assertThat(c.count("key_a", List.of(same), true, HOUR).totals()[0]).isOne();
      assertThat(c.count("key_a", List.of(same), true, HOUR.plusSeconds(30)).totals()[0]).isOne();
      assertThat(c.count("key_a", List.of(same), true, HOUR.plusSeconds(61)).totals()[0])
          .isEqualTo(2);
    }
  }
}
