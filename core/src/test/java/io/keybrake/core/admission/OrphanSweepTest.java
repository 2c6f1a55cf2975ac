package io.keybrake.core.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.testing.InMemoryAuditLog;
import io.keybrake.core.testing.InMemoryKeyStore;
import io.keybrake.core.testing.InMemoryStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrphanSweepTest {
  private static final Instant T0 = Instant.parse("2026-11-22T12:00:00Z");
  private static final BudgetLimit CAP =
      new BudgetLimit(
          "key_daily", "key:key_a", 10_000, T0.minusSeconds(3600), T0.plusSeconds(86_400));

  private final InMemoryStore store = new InMemoryStore();
  private final InMemoryAuditLog audit = new InMemoryAuditLog();
  private final OrphanSweep sweep = new OrphanSweep(store, new InMemoryKeyStore(), audit);

  private Ticket admit(String id, Instant at) {
    return ((Admit.Admitted)
            Stages.join(
                store.admit(null, at, new ReserveRequest(id, "key_a", List.of(CAP), 1_000, at))))
        .ticket();
  }

  @Test
  void openReservationsMadeBeforeTheCutOffAreKeptAsSpendAndAuditedOnce() {
    admit("rsv_old", T0.minusSeconds(600));
    Stages.join(admit("rsv_settled", T0.minusSeconds(600)).settle(700, null));
    admit("rsv_live", T0);

    assertThat(sweep.sweep(T0.minusSeconds(60), 100, OrphanSweep.INSTANCE_STOPPED)).isEqualTo(1);
    assertThat(sweep.sweep(T0.minusSeconds(60), 100, OrphanSweep.INSTANCE_STOPPED)).isZero();

    assertThat(store.reservations().get("rsv_old").state())
        .isEqualTo(InMemoryStore.State.UNSETTLED);
    assertThat(store.reservations().get("rsv_live").state())
        .isEqualTo(InMemoryStore.State.RESERVED);
    assertThat(store.counter(CAP)).isEqualTo(new CounterSnapshot(700, 2_000));
    AuditEntry row = audit.last();
    assertThat(row.reservationId()).isEqualTo("rsv_old");
    assertThat(row.reason()).isEqualTo("instance_stopped");
    assertThat(row.settlement()).isEqualTo("unsettled");
    assertThat(row.estimatedMicros()).isEqualTo(1_000);
    assertThat(audit.entries()).hasSize(1);
  }

  @Test
  void aRestartSweepsEveryOpenReservation() {
    admit("rsv_1", T0);
    admit("rsv_2", T0.plusSeconds(1));
    assertThat(sweep.sweep(Instant.MAX, Integer.MAX_VALUE, OrphanSweep.PROCESS_STOPPED))
        .isEqualTo(2);
    assertThat(audit.entries()).extracting(AuditEntry::reason).containsOnly("process_stopped");
  }
}
