package io.keybrake.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.budget.Budget;
import io.keybrake.core.ledger.AuditSpendRecord;
import io.keybrake.core.ledger.RecordedSpend;
import io.keybrake.store.EmbeddedStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log as the record a Redis ledger is rebuilt from. */
class AuditSpendRecordTest {
  @TempDir Path dir;

  private static final Instant NOW = Instant.parse("2026-11-22T15:00:00Z");

  private static AuditEntry allowed(
      String keyId, Instant at, String reservation, String settlement, long est, Long actual) {
    return new AuditEntry(
        at,
        keyId,
        "agent",
        Map.of(),
        "twilio",
        "POST",
        "/x",
        null,
        10,
        est,
        actual,
        "SM1",
        "allowed",
        null,
        201,
        0,
        100,
        settlement,
        reservation);
  }

  @Test
  void openWindowsAreRebuiltFromAllowedRowsWithTheirLimits() {
    try (EmbeddedStore store =
        EmbeddedStore.open(dir, Optional.empty(), Clock.fixed(NOW, ZoneOffset.UTC))) {
      // minimal policy: daily cap only, UTC; lifetime cap: fullPolicy (New York day, total cap)
      store.keyStore().create(Fixtures.stripeKey("key_daily", NOW.minus(Duration.ofDays(3))));
      store.keyStore().create(Fixtures.twilioKey("key_total", NOW.minus(Duration.ofDays(3))));
      store
          .budgetStore()
          .create(
              new Budget(
                  "stripe-month",
                  Map.of(),
                  Optional.of("stripe"),
                  OptionalLong.empty(),
                  OptionalLong.of(50_000_000),
                  NOW));
      var audit = store.auditLog();
      audit.append(allowed("key_daily", NOW.minusSeconds(60), "r1", "settled", 100, 90L));
      audit.append(allowed("key_daily", NOW.minusSeconds(50), "r2", "estimated", 200, null));
      audit.append(allowed("key_daily", NOW.minusSeconds(40), "r3", "unsettled", 300, null));
      audit.append(allowed("key_daily", NOW.minusSeconds(30), "r4", "released", 400, null));
      audit.append(
          new AuditEntry(
              NOW.minusSeconds(20),
              "key_daily",
              "agent",
              Map.of(),
              "stripe",
              "POST",
              "/x",
              null,
              10,
              500,
              null,
              null,
              "blocked",
              "cap_exhausted",
              429,
              0,
              100,
              "none",
              null));
      // yesterday: the daily window is closed, the monthly budget's is still open
      audit.append(allowed("key_daily", NOW.minus(Duration.ofDays(1)), "r5", "settled", 600, 600L));
      // the vendor priced r2 later: a 'settled' row carries the final amount
      audit.append(
          new AuditEntry(
              NOW.minusSeconds(10),
              "key_daily",
              "agent",
              Map.of(),
              "stripe",
              null,
              null,
              null,
              0,
              200,
              180L,
              "SM1",
              "settled",
              null,
              200,
              0,
              0,
              "settled",
              "r2"));
      // two days ago for the lifetime-capped key: only its total window is open
      audit.append(allowed("key_total", NOW.minus(Duration.ofDays(2)), "r6", "settled", 700, 700L));

      List<RecordedSpend> spend =
          new AuditSpendRecord(audit, store.keyStore(), store.budgetStore()).openSpend(NOW);

      assertThat(spend)
          .extracting(RecordedSpend::reservationId)
          .containsExactlyInAnyOrder("r1", "r2", "r3", "r5", "r6");
      RecordedSpend r1 = byId(spend, "r1");
      assertThat(r1.micros()).isEqualTo(90);
      assertThat(r1.settled()).isTrue();
      assertThat(r1.limits())
          .extracting(l -> l.budget())
          .containsExactlyInAnyOrder("key_daily", "stripe-month/monthly");
      assertThat(byId(spend, "r2").micros()).isEqualTo(180);
      assertThat(byId(spend, "r3").settled()).isFalse();
      assertThat(byId(spend, "r5").limits())
          .extracting(l -> l.budget())
          .containsExactly("stripe-month/monthly");
      assertThat(byId(spend, "r6").limits())
          .extracting(l -> l.budget())
          .containsExactly("key_total");
    }
  }

  @Test
  void readsPastOnePageOfAuditRows() {
    try (EmbeddedStore store =
        EmbeddedStore.open(dir, Optional.empty(), Clock.fixed(NOW, ZoneOffset.UTC))) {
      store.keyStore().create(Fixtures.stripeKey("key_daily", NOW.minus(Duration.ofDays(1))));
      Instant same = NOW.minusSeconds(5);
      for (int i = 0; i < 2_500; i++) {
        // many rows share an instant, across the page boundary
        Instant at = i % 3 == 0 ? same : NOW.minusMillis(10_000 + i);
        store.auditLog().append(allowed("key_daily", at, "r" + i, "settled", 1, 1L));
      }
      List<RecordedSpend> spend =
          new AuditSpendRecord(store.auditLog(), store.keyStore(), store.budgetStore())
              .openSpend(NOW);
      assertThat(spend).hasSize(2_500);
    }
  }

  private static RecordedSpend byId(List<RecordedSpend> spend, String id) {
    return spend.stream().filter(s -> s.reservationId().equals(id)).findFirst().orElseThrow();
  }
}
