package io.keybrake.core.testing;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The fake answers the reconciler's question as the stores do. */
class InMemoryAuditLogTest {
  @Test
  void unpricedEstimatesAreFoundOldestFirstFromTheCursor() {
    UnpricedEstimatesContract.check(new InMemoryAuditLog(), Instant.parse("2026-11-22T12:00:00Z"));
  }
}
