package io.keybrake.core.admission;

import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveOutcome;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An admitted call's reservation (and dedup claim, if it has one), to be finished exactly once:
 * {@link #settle}, {@link #release} or {@link #keepUnsettled}. A second finish throws {@link
 * IllegalStateException} at once: it is a bug in the caller, and the store is not touched again. A
 * finish whose store call fails (its stage completes exceptionally with {@link
 * io.keybrake.core.store.StoreUnavailableException}) still counts as the finish: the reservation
 * stays open in the store, where the orphan sweep finds it.
 *
 * <p>Each finish returns at once; its stage completes when the finish is durable in the store (as
 * {@link Admission} states it), after the work {@code alongside} it ran: the decision's audit row.
 * A store that can commits both together (the embedded store: one SQLite transaction); others run
 * it right after, off any event loop. A data plane answers the response phase only after the stage
 * completed. Thread-safe.
 */
public abstract class Ticket {
  private static final Runnable NOTHING = () -> {};

  private final ReserveOutcome.Reserved reservation;
  private final AtomicBoolean finished = new AtomicBoolean();

  protected Ticket(ReserveOutcome.Reserved reservation) {
    this.reservation = Objects.requireNonNull(reservation);
  }

  /** What was reserved: its id, and the tightest limit's spend and cap with this call in it. */
  public final ReserveOutcome.Reserved reservation() {
    return reservation;
  }

  /** Whether a finish was called. */
  public final boolean finished() {
    return finished.get();
  }

  /**
   * {@link #settle(long, boolean, StoredResponse, Runnable)} at an amount a later price may adjust,
   * with nothing alongside.
   */
  public final CompletionStage<Void> settle(long actualMicros, StoredResponse response) {
    return settle(actualMicros, false, response, NOTHING);
  }

  /**
   * The vendor answered with a 2xx: the reservation becomes {@code actualMicros} in every counter
   * it touched and, when the call holds a dedup claim, {@code response} is kept for replay until
   * the claim expires.
   *
   * @param priceFinal true when {@code actualMicros} is the vendor's own price (or nothing is to be
   *     priced), so nothing will {@link io.keybrake.core.ledger.Ledger#adjust} it: a store may then
   *     forget the reservation sooner; false when it is an estimate the vendor prices later
   * @param response the response to replay, or null to keep none (a call without a claim keeps none
   *     anyway)
   */
  public final CompletionStage<Void> settle(
      long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("actual cost must be >= 0");
    }
    Objects.requireNonNull(alongside);
    finishing();
    return Stages.call(() -> onSettle(actualMicros, priceFinal, response, alongside));
  }

  /** {@link #release(Runnable)} with nothing alongside. */
  public final CompletionStage<Void> release() {
    return release(NOTHING);
  }

  /** The vendor did not charge (a 4xx, or the call never left): drop the reservation and claim. */
  public final CompletionStage<Void> release(Runnable alongside) {
    Objects.requireNonNull(alongside);
    finishing();
    return Stages.call(() -> onRelease(alongside));
  }

  /** {@link #keepUnsettled(boolean, Runnable)}: outcome unknown, nothing alongside. */
  public final CompletionStage<Void> keepUnsettled() {
    return keepUnsettled(false, NOTHING);
  }

  /**
   * The vendor may have acted but gave no price: the reservation stays counted, marked unsettled.
   *
   * @param letRetry true when the outcome is known to be a failure (a 5xx), so the dedup claim is
   *     dropped and a retry may go; false when it is unknown (the stream died), so the claim stays
   *     in flight until its window ends and a retry cannot reach the vendor a second time
   */
  public final CompletionStage<Void> keepUnsettled(boolean letRetry, Runnable alongside) {
    Objects.requireNonNull(alongside);
    finishing();
    return Stages.call(() -> onKeepUnsettled(letRetry, alongside));
  }

  /**
   * The store's settle; completes when it (and {@code alongside}) are durable. Must not block. A
   * runtime exception it throws counts as a failed stage.
   */
  protected abstract CompletionStage<Void> onSettle(
      long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside);

  /** The store's release; as {@link #onSettle}. */
  protected abstract CompletionStage<Void> onRelease(Runnable alongside);

  /** The store's keep-unsettled; as {@link #onSettle}. */
  protected abstract CompletionStage<Void> onKeepUnsettled(boolean letRetry, Runnable alongside);

  private void finishing() {
    if (!finished.compareAndSet(false, true)) {
      throw new IllegalStateException(
          "reservation " + reservation.reservationId() + " was already finished");
    }
  }
}
