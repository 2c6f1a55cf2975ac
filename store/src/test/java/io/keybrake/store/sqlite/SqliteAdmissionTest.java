package io.keybrake.store.sqlite;

import static io.keybrake.store.sqlite.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store's admission: claim + reserve in one transaction, each finish in another. */
class SqliteAdmissionTest {
  private static final Instant UNTIL = T0.plusSeconds(60);
  private static final BudgetLimit CAP =
      new BudgetLimit(
          "key_daily", "key:key_a", 10_000, T0.minusSeconds(60), T0.plusSeconds(86_400));
  private static final StoredResponse RESPONSE =
      new StoredResponse(
          201,
          List.of(Map.entry("content-type", "application/json")),
          "{\"sid\":\"SM1\"}".getBytes(StandardCharsets.UTF_8));

  @TempDir Path dir;
  private SqliteDatabase db;
  private SqliteLedger ledger;
  private SqliteAdmission admission;
  private int ids;

  @BeforeEach
  void open() {
    db = SqliteDatabase.open(dir);
    ledger = new SqliteLedger(db);
    admission = new SqliteAdmission(db, ledger, new SqliteDedupCache(db));
  }

  @AfterEach
  void close() {
    db.close();
  }

  private Admit admit(String fingerprint, long amount) {
    return Stages.join(
        admission.admit(
            fingerprint,
            UNTIL,
            new ReserveRequest("rsv_" + ids++, "key_a", List.of(CAP), amount, T0)));
  }

  @Test
  void anAdmittedCallHoldsItsReservationAndItsTwinWaitsThenReplays() {
    Ticket ticket = ((Admit.Admitted) admit("fp", 3_000)).ticket();
    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(0, 3_000));
    assertThat(admit("fp", 3_000)).isEqualTo(new Admit.InFlight());

    Stages.join(ticket.settle(2_500, RESPONSE));

    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(2_500, 0));
    Admit replay = admit("fp", 3_000);
    assertThat(replay).isInstanceOf(Admit.Replay.class);
    assertThat(((Admit.Replay) replay).response().body()).isEqualTo(RESPONSE.body());
    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(2_500, 0));
  }

  @Test
  void anExhaustedCapKeepsNeitherClaimNorReservation() {
    Admit no = admit("fp", 20_000);
    assertThat(no).isInstanceOf(Admit.Exhausted.class);
    assertThat(((Admit.Exhausted) no).capMicros()).isEqualTo(10_000);
    assertThat(((Admit.Exhausted) no).requestedMicros()).isEqualTo(20_000);
    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(0, 0));
    assertThat(admit("fp", 1_000)).isInstanceOf(Admit.Admitted.class);
  }

  @Test
  void theWorkAlongsideAFinishCommitsWithItOrNotAtAll() {
    Ticket ticket = ((Admit.Admitted) admit(null, 3_000)).ticket();
    assertThatThrownBy(
            () ->
                Stages.join(
                    ticket.settle(
                        2_000,
                        true,
                        null,
                        () -> {
                          throw new IllegalStateException("the audit row failed");
                        })))
        .isInstanceOf(IllegalStateException.class);
    // the settlement was rolled back with it: the reservation is still open
    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(0, 3_000));
    assertThat(ledger.openReservations()).hasSize(1);
  }

  @Test
  void releaseLetsTheRetryThroughAndAnUnknownOutcomeKeepsTheClaim() {
    AtomicInteger rows = new AtomicInteger();
    Stages.join(((Admit.Admitted) admit("a", 1_000)).ticket().release(rows::incrementAndGet));
    assertThat(admit("a", 1_000)).isInstanceOf(Admit.Admitted.class);

    Stages.join(
        ((Admit.Admitted) admit("b", 1_000)).ticket().keepUnsettled(false, rows::incrementAndGet));
    assertThat(admit("b", 1_000)).isEqualTo(new Admit.InFlight());
    assertThat(rows).hasValue(2);
    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(0, 2_000));
  }

  @Test
  void aSecondFinishThrowsAndChangesNothing() {
    Ticket ticket = ((Admit.Admitted) admit(null, 3_000)).ticket();
    Stages.join(ticket.release());
    assertThatThrownBy(() -> ticket.settle(3_000, null)).isInstanceOf(IllegalStateException.class);
    assertThat(ledger.counter(CAP)).isEqualTo(new CounterSnapshot(0, 0));
  }
}
