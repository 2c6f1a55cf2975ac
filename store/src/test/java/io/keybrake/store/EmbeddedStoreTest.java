package io.keybrake.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.policy.Policy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStoreTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final BudgetLimit DAILY =
      new BudgetLimit(
          "key_daily",
          "key:key_1",
          1_000_000,
          Instant.parse("2026-03-01T00:00:00Z"),
          Instant.parse("2026-03-02T00:00:00Z"));

  @TempDir Path dir;

  @Test
  void oneExchangeIsRecordedAndEverythingSurvivesARestart() {
    Path data = dir.resolve("data");
    KeyRecord key =
        new KeyRecord(
            "key_1",
            "agent",
            "resend",
            Map.of("team", "ops"),
            new Policy(
                1_000_000,
                OptionalLong.empty(),
                List.of(),
                List.of(),
                List.of(),
                Duration.ofSeconds(60),
                Optional.empty(),
                600,
                false,
                ZoneId.of("UTC")),
            "hash-1",
            new VendorCredential.ApiKey("re_live_secret"),
            NOW,
            Optional.empty(),
            Optional.empty());
    StoredResponse response = new StoredResponse(200, List.of(), "{\"id\":\"e1\"}".getBytes());

    try (EmbeddedStore store = EmbeddedStore.open(data, Optional.empty(), CLOCK)) {
      store.keyStore().create(key);
      Claim.Won won = (Claim.Won) store.dedupCache().claim("fp", NOW, NOW.plusSeconds(60));
      ReserveOutcome reserved =
          store.ledger().reserve(new ReserveRequest("res-1", "key_1", List.of(DAILY), 900, NOW));
      store.ledger().settle("res-1", 900);
      store.dedupCache().complete("fp", won.token(), response);
      store.auditLog().append(entry());
      assertThat(reserved).isEqualTo(new ReserveOutcome.Reserved("res-1", 900, 1_000_000));
    }

    assertThat(data.resolve("kek")).exists();
    assertThat(data.resolve("keybrake.db")).exists();
    try (EmbeddedStore store = EmbeddedStore.open(data, Optional.empty(), CLOCK)) {
      assertThat(store.keyStore().findBySecretHash("hash-1")).contains(key);
      assertThat(store.ledger().counter(DAILY)).isEqualTo(new CounterSnapshot(900, 0));
      assertThat(store.sqliteLedger().openReservations()).isEmpty();
      assertThat(store.dedupCache().claim("fp", NOW.plusSeconds(1), NOW.plusSeconds(61)))
          .isInstanceOf(Claim.Completed.class);
      assertThat(
              store
                  .auditLog()
                  .query(
                      new AuditQuery(Optional.of("key_1"), Optional.empty(), Optional.empty(), 5)))
          .hasSize(1);
      assertThat(store.auditLog().verify().ok()).isTrue();

      store.purge(Duration.ofDays(1));
      assertThat(store.ledger().counter(DAILY)).isEqualTo(new CounterSnapshot(900, 0));
    }
  }

  private static AuditEntry entry() {
    return new AuditEntry(
        NOW,
        "key_1",
        "agent",
        Map.of("team", "ops"),
        "resend",
        "POST",
        "/emails",
        "a***@example.com",
        120,
        900,
        900L,
        "e1",
        "allowed",
        null,
        200,
        900,
        1200,
        "settled",
        "res-1");
  }
}
