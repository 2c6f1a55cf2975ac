package io.keybrake.cli.metrics;

import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * An {@link Admission} whose store calls are timed with the ledger's ({@code claim_reserve} or
 * {@code reserve}, then {@code settle_complete} or {@code settle}, {@code release}, {@code
 * mark_unsettled}), and that tells a listener about each reservation once the store committed it
 * (budget threshold webhooks). Same meaning and thread-safety as the admission it wraps.
 */
final class MeteredAdmission implements Admission {
  private final Admission admission;
  private final StoreCallMeters meters;
  private final BiConsumer<ReserveRequest, ReserveOutcome> reserved;

  MeteredAdmission(
      Admission admission,
      StoreCallMeters meters,
      BiConsumer<ReserveRequest, ReserveOutcome> reserved) {
    this.admission = admission;
    this.meters = meters;
    this.reserved = reserved;
  }

  @Override
  public CompletionStage<Admit> admit(
      String fingerprint, Instant dedupUntil, ReserveRequest request) {
    boolean dedup = fingerprint != null;
    return meters
        .timeAsync(
            dedup ? "claim_reserve" : "reserve",
            () -> admission.admit(fingerprint, dedupUntil, request))
        .thenApply(
            admit -> {
              if (admit instanceof Admit.Admitted a) {
                reserved.accept(request, a.ticket().reservation());
                return new Admit.Admitted(new MeteredTicket(a.ticket(), dedup));
              }
              if (admit instanceof Admit.Exhausted no) {
                reserved.accept(
                    request,
                    new ReserveOutcome.Exhausted(
                        no.limit(), no.spentMicros(), no.requestedMicros()));
              }
              return admit;
            });
  }

  @Override
  public CompletionStage<Void> awaitChange(String fingerprint, Duration maxWait) {
    return admission.awaitChange(fingerprint, maxWait);
  }

  /** The wrapped ticket, its finish timed. */
  private final class MeteredTicket extends Ticket {
    private final Ticket ticket;
    private final boolean dedup;

    MeteredTicket(Ticket ticket, boolean dedup) {
      super(ticket.reservation());
      this.ticket = ticket;
      this.dedup = dedup;
    }

    @Override
    protected CompletionStage<Void> onSettle(
        long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
      return meters.timeAsync(
          dedup && response != null ? "settle_complete" : "settle",
          () -> ticket.settle(actualMicros, priceFinal, response, alongside));
    }

    @Override
    protected CompletionStage<Void> onRelease(Runnable alongside) {
      return meters.timeAsync("release", () -> ticket.release(alongside));
    }

    @Override
    protected CompletionStage<Void> onKeepUnsettled(boolean letRetry, Runnable alongside) {
      return meters.timeAsync("mark_unsettled", () -> ticket.keepUnsettled(letRetry, alongside));
    }
  }
}
