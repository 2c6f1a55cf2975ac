package io.keybrake.controlplane.admin;

import io.keybrake.core.testing.UnpricedEstimatesContract;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The admin tests' hash-chained fake answers the reconciler's question as the stores do. */
class InMemoryAuditLogTest {
  @Test
  void unpricedEstimatesAreFoundOldestFirstFromTheCursor() {
    UnpricedEstimatesContract.check(new InMemoryAuditLog(), Instant.parse("2026-11-22T12:00:00Z"));
  }
}
