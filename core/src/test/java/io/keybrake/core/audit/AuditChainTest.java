package io.keybrake.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditChainTest {
  static final AuditEntry REFUSAL =
      new AuditEntry(
          Instant.parse("2026-11-22T12:00:00.123456789Z"),
          "key_a",
          "support-bot",
          Map.of("team", "support", "env", "prod"),
          "stripe",
          "POST",
          "/v1/payment_intents",
          null,
          52,
          200_000,
          null,
          null,
          "blocked",
          "cap_exhausted",
          429,
          900_000,
          1_850,
          "none",
          null);

  /**
   * The hash Keybrake computed for this row before rows named a cap and budget (schema version 4),
   * printed by that version's {@code AuditChain}: a row without them must hash the same forever, or
   * every chain written then would stop verifying.
   */
  @Test
  void aRowWithoutCapOrBudgetHashesAsBeforeTheyExisted() {
    assertThat(AuditChain.hash(7, AuditChain.GENESIS, REFUSAL))
        .isEqualTo("5e02b3ca8a5fe491a46c2b2bc41f0a693a95e84a26ef8202316a5acbb28ea638");
  }

  @Test
  void theCapAndTheBudgetAreCoveredByTheHash() {
    String without = AuditChain.hash(7, AuditChain.GENESIS, REFUSAL);
    String with = AuditChain.hash(7, AuditChain.GENESIS, REFUSAL.withCap(1_000_000L, "key_daily"));

    assertThat(with).isNotEqualTo(without);
    assertThat(AuditChain.hash(7, AuditChain.GENESIS, REFUSAL.withCap(1_000_001L, "key_daily")))
        .isNotEqualTo(with);
    assertThat(AuditChain.hash(7, AuditChain.GENESIS, REFUSAL.withCap(1_000_000L, "eng-fleet")))
        .isNotEqualTo(with);
    // either alone is covered too, and the two cannot stand in for each other
    String capOnly = AuditChain.hash(7, AuditChain.GENESIS, REFUSAL.withCap(1_000_000L, null));
    String budgetOnly = AuditChain.hash(7, AuditChain.GENESIS, REFUSAL.withCap(null, "1000000"));
    assertThat(capOnly).isNotIn(without, with, budgetOnly);
    assertThat(budgetOnly).isNotIn(without, with);
  }

  @Test
  void theOlderConstructorNamesNoCapOrBudget() {
    assertThat(REFUSAL.capMicros()).isNull();
    assertThat(REFUSAL.budget()).isNull();
    assertThat(REFUSAL.withCap(1L, "b").withCap(null, null)).isEqualTo(REFUSAL);
  }
}
