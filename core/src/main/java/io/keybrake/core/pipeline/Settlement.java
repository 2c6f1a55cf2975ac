package io.keybrake.core.pipeline;

import io.keybrake.core.cost.ActualCost;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.dedup.LedgerDedupCache;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.key.StoreUnavailableException;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.money.Micros;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 8: the vendor answered. A 2xx settles the reservation at the actual cost (or the estimate
 * when the vendor gives no price, marked {@code estimated}) and is kept for replay; a 4xx releases
 * it (the vendor did not charge) and lets a retry through, and so does a call the data plane says
 * never left the machine; anything else keeps it as {@code unsettled}. Thread-safe.
 */
final class Settlement {
  private static final Logger log = LoggerFactory.getLogger(Settlement.class);

  private final Ledger ledger;
  private final LedgerDedupCache dedup;
  private final AuditWriter audit;
  private final CostEstimator costs;
  private final UnitOfWork unit;

  Settlement(
      Ledger ledger,
      LedgerDedupCache dedup,
      AuditWriter audit,
      CostEstimator costs,
      UnitOfWork unit) {
    this.ledger = ledger;
    this.dedup = dedup;
    this.audit = audit;
    this.costs = costs;
    this.unit = unit;
  }

  /** Settles, keeps the response for replay and writes the audit row, as one unit of work. */
  ResponseAnnotations settle(Exchange ex, byte[] body) {
    return unit.inOne("settle an exchange", () -> settleNow(ex, body));
  }

  private ResponseAnnotations settleNow(Exchange ex, byte[] body) {
    int status = ex.responseStatus;
    long estimate = ex.estimate.micros();
    String rid = ex.reservation.reservationId();
    long counted;
    String state;
    Long actual = null;
    String objectId = null;
    try {
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
        if (ex.claimToken == null) {
          ledger.settle(rid, counted);
        } else {
          List<Map.Entry<String, String>> headers = new ArrayList<>();
          if (ex.responseContentType != null) {
            headers.add(Map.entry("content-type", ex.responseContentType));
          }
          dedup.settleAndComplete(
              rid,
              counted,
              ex.fingerprint,
              ex.claimToken,
              new StoredResponse(status, headers, body));
        }
      } else if ((status >= 400 && status < 500) || ex.neverSent) {
        counted = 0;
        state = "released";
        ledger.release(rid);
        abandon(ex);
      } else {
        counted = estimate;
        state = "unsettled";
        ledger.markUnsettled(rid);
        abandon(ex);
      }
    } catch (StoreUnavailableException e) {
      log.error("could not settle reservation {}: {}", rid, e.getMessage());
      counted = estimate;
      state = "unsettled";
    }
    long spent = ex.reservation.spentMicros() - estimate + counted;
    long remaining = Math.max(0, ex.reservation.capMicros() - spent);
    audit.allowed(ex, status, actual, objectId, state, spent);
    return new ResponseAnnotations(
        List.of(
            Map.entry("x-keybrake-spent-usd", Micros.format(spent)),
            Map.entry("x-keybrake-remaining-usd", Micros.format(remaining))),
        false);
  }

  /** The stream died after forwarding: the vendor may have acted, so spend stays counted. */
  void abandonForwarded(Exchange ex) {
    try {
      ledger.markUnsettled(ex.reservation.reservationId());
    } catch (StoreUnavailableException e) {
      log.error("could not mark reservation unsettled: {}", e.getMessage());
    }
    // The dedup claim stays in flight until the window ends: a retry of a call whose outcome is
    // unknown must not reach the vendor a second time.
    audit.allowed(ex, 0, null, null, "unsettled", ex.reservation.spentMicros());
  }

  private void abandon(Exchange ex) {
    if (ex.claimToken != null) {
      dedup.abandon(ex.fingerprint, ex.claimToken);
    }
  }
}
