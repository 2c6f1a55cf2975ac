package io.keybrake.core.pipeline;

import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.cost.ActualCost;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.money.Micros;
import io.keybrake.core.store.StoreUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 8: the vendor answered, and the admitted call's {@link Ticket} is finished. A 2xx settles
 * the reservation at the actual cost (or the estimate when the vendor gives no price, marked {@code
 * estimated}) and is kept for replay; a 4xx releases it (the vendor did not charge) and lets a
 * retry through, and so does a call the data plane says never left the machine; anything else keeps
 * it as {@code unsettled}. The decision's audit row commits alongside the finish where the store
 * can. Thread-safe.
 */
final class Settlement {
  private static final Logger log = LoggerFactory.getLogger(Settlement.class);

  private final AuditWriter audit;
  private final CostEstimator costs;
  private final Executor blocking;

  /** {@code blocking} runs an audit row that no store finish carries (off the event loop). */
  Settlement(AuditWriter audit, CostEstimator costs, Executor blocking) {
    this.audit = audit;
    this.costs = costs;
    this.blocking = blocking;
  }

  /**
   * Finishes the ticket from the response and writes the audit row (together where it can); the
   * stage completes once both are durable.
   */
  CompletionStage<ResponseAnnotations> settle(Exchange ex, Ticket ticket, byte[] body) {
    int status = ex.responseStatus;
    long estimate = ex.estimate.micros();
    long counted;
    String state;
    Long actual = null;
    String objectId = null;
    if (status >= 200 && status < 300) {
      ActualCost cost = costs.actual(ex.match, status, body);
      objectId = cost.vendorObjectId().orElse(null);
      if (cost.micros().isPresent()) {
        actual = cost.micros().getAsLong();
        counted = actual;
        state = "settled";
      } else {
        counted = estimate;
        state = estimate == 0 ? "settled" : "estimated";
      }
    } else if ((status >= 400 && status < 500) || ex.neverSent) {
      counted = 0;
      state = "released";
    } else {
      counted = estimate;
      state = "unsettled";
    }
    long settledSpent = spent(ex, counted);
    Long actualCost = actual;
    String object = objectId;
    String finish = state;
    Runnable row = () -> audit.allowed(ex, status, actualCost, object, finish, settledSpent);
    long counts = counted;
    return Stages.call(
            () ->
                switch (finish) {
                  case "released" -> ticket.release(row);
                  case "unsettled" -> ticket.keepUnsettled(true, row);
                  // "settled": the vendor's price, or nothing to price; "estimated": priced later
                  default ->
                      ticket.settle(
                          counts, finish.equals("settled"), replayable(ex, status, body), row);
                })
        .handle(
            (v, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedStage(annotations(ex, settledSpent));
              }
              unavailable(failure);
              log.error(
                  "could not settle reservation {}: {}",
                  ticket.reservation().reservationId(),
                  Stages.cause(failure).getMessage());
              long spent = spent(ex, estimate);
              return CompletableFuture.supplyAsync(
                  () -> {
                    audit.allowed(ex, status, actualCost, object, "unsettled", spent);
                    return annotations(ex, spent);
                  },
                  blocking);
            })
        .thenCompose(Function.identity());
  }

  private static ResponseAnnotations annotations(Exchange ex, long spent) {
    long remaining = Math.max(0, ex.reservation.capMicros() - spent);
    return new ResponseAnnotations(
        List.of(
            Map.entry("x-keybrake-spent-usd", Micros.format(spent)),
            Map.entry("x-keybrake-remaining-usd", Micros.format(remaining))),
        false);
  }

  /** Rethrows {@code failure} unless the store did not answer. */
  private static void unavailable(Throwable failure) {
    Throwable cause = Stages.cause(failure);
    if (cause instanceof StoreUnavailableException) {
      return;
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    if (cause instanceof Error e) {
      throw e;
    }
    throw new CompletionException(cause);
  }

  /**
   * The stream died after forwarding: the vendor may have acted, so spend stays counted. Completes
   * when the store marked the reservation unsettled (or could not, and the audit row says so).
   */
  CompletionStage<Void> abandonForwarded(Exchange ex, Ticket ticket) {
    // The dedup claim stays in flight until the window ends: a retry of a call whose outcome is
    // unknown must not reach the vendor a second time.
    Runnable row =
        () -> audit.allowed(ex, 0, null, null, "unsettled", ex.reservation.spentMicros());
    return Stages.call(() -> ticket.keepUnsettled(false, row))
        .handle(
            (v, failure) -> {
              if (failure == null) {
                return Stages.done();
              }
              unavailable(failure);
              log.error(
                  "could not mark reservation unsettled: {}", Stages.cause(failure).getMessage());
              return CompletableFuture.runAsync(row, blocking);
            })
        .thenCompose(Function.identity());
  }

  /** Spend in the tightest limit once this call counts {@code counted} instead of its estimate. */
  private static long spent(Exchange ex, long counted) {
    return ex.reservation.spentMicros() - ex.estimate.micros() + counted;
  }

  /** The response a deduplicated call keeps for replay; null for a call that is not one. */
  private static StoredResponse replayable(Exchange ex, int status, byte[] body) {
    if (ex.fingerprint == null) {
      return null;
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (ex.responseContentType != null) {
      headers.add(Map.entry("content-type", ex.responseContentType));
    }
    return new StoredResponse(status, headers, body);
  }
}
