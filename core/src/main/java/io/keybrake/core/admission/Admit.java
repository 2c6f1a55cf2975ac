package io.keybrake.core.admission;

import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import java.util.Objects;

/** What {@link Admission#admit} decided. A refusal is a value, not an exception. */
public sealed interface Admit {

  /** Claimed and reserved: forward the call, then finish it through the ticket exactly once. */
  record Admitted(Ticket ticket) implements Admit {
    public Admitted {
      Objects.requireNonNull(ticket);
    }
  }

  /** An identical call completed with a 2xx within its dedup window: answer with its response. */
  record Replay(StoredResponse response) implements Admit {
    public Replay {
      Objects.requireNonNull(response);
    }
  }

  /** An identical call is in flight (or its outcome is unknown): wait, then admit again. */
  record InFlight() implements Admit {}

  /**
   * {@code limit} could not take the amount; nothing was claimed or reserved anywhere.
   *
   * @param spentMicros settled + reserved in that limit now (without this call)
   * @param requestedMicros what this call needed
   */
  record Exhausted(BudgetLimit limit, long spentMicros, long requestedMicros) implements Admit {
    public Exhausted {
      Objects.requireNonNull(limit);
    }

    /** The refusal a store's reservation answered with. */
    public static Exhausted of(io.keybrake.core.ledger.ReserveOutcome.Exhausted refused) {
      return new Exhausted(refused.limit(), refused.spentMicros(), refused.requestedMicros());
    }

    public long capMicros() {
      return limit.capMicros();
    }
  }
}
