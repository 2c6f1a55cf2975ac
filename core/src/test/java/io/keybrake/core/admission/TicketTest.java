package io.keybrake.core.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.store.StoreUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class TicketTest {
  /** Records each finish the store was asked for. */
  private static final class Recording extends Ticket {
    final List<String> finishes = new ArrayList<>();
    boolean fail;

    Recording() {
      super(new ReserveOutcome.Reserved("rsv_1", 100, 1_000));
    }

    @Override
    protected CompletionStage<Void> onSettle(
        long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
      if (fail) {
        return CompletableFuture.failedFuture(new StoreUnavailableException("down"));
      }
      finishes.add("settle " + actualMicros);
      alongside.run();
      return Stages.done();
    }

    @Override
    protected CompletionStage<Void> onRelease(Runnable alongside) {
      finishes.add("release");
      alongside.run();
      return Stages.done();
    }

    @Override
    protected CompletionStage<Void> onKeepUnsettled(boolean letRetry, Runnable alongside) {
      if (fail) {
        throw new StoreUnavailableException("down"); // thrown, not returned: still a failed stage
      }
      finishes.add("unsettled " + letRetry);
      alongside.run();
      return Stages.done();
    }
  }

  @Test
  void aTicketFinishesExactlyOnceAndASecondFinishIsABugThatTouchesNoStore() {
    Recording t = new Recording();
    List<String> rows = new ArrayList<>();
    t.settle(90, true, null, () -> rows.add("row"));

    assertThatThrownBy(t::release)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rsv_1");
    assertThatThrownBy(t::keepUnsettled).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> t.settle(1, null)).isInstanceOf(IllegalStateException.class);
    assertThat(t.finishes).containsExactly("settle 90");
    assertThat(rows).containsExactly("row");
    assertThat(t.finished()).isTrue();
  }

  @Test
  void aFinishTheStoreRefusedStillCountsAsTheFinish() {
    Recording t = new Recording();
    t.fail = true;
    assertThatThrownBy(() -> Stages.join(t.settle(90, null)))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(t::release).isInstanceOf(IllegalStateException.class);
    assertThat(t.finishes).isEmpty();
  }

  @Test
  void aStoreFailureThrownByTheStoreIsAFailedStageNotAThrow() {
    Recording t = new Recording();
    t.fail = true;
    CompletionStage<Void> unsettled = t.keepUnsettled();
    assertThatThrownBy(() -> Stages.join(unsettled)).isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> t.settle(1, null)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aNegativeActualCostIsRefusedBeforeTheTicketIsUsed() {
    Recording t = new Recording();
    assertThatThrownBy(() -> t.settle(-1, null)).isInstanceOf(IllegalArgumentException.class);
    t.keepUnsettled(true, () -> {});
    assertThat(t.finishes).containsExactly("unsettled true");
  }
}
