package io.keybrake.core.pipeline;

import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReservationIds;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.money.Micros;
import io.keybrake.core.store.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 5 and 6 of a decision: deduplicate and reserve spend in every budget at once, through the
 * store's {@link Admission} port; waits (bounded, without parking a thread) for an in-flight twin.
 * Returns what happened as a value; it never answers the exchange itself. Thread-safe.
 */
final class AdmissionStep {
  private static final Logger log = LoggerFactory.getLogger(AdmissionStep.class);
  private static final Duration POLL = Duration.ofMillis(50);

  /** What admitting a call ended with. */
  sealed interface Outcome {
    /** Not admitted: answer with this refusal (nothing is held in the store). */
    record Refused(Refusal refusal) implements Outcome {}

    /** A completed twin answers for this call. */
    record Replayed(StoredResponse response) implements Outcome {}

    /** Claimed and reserved: forward the call. */
    record Admitted(Ticket ticket) implements Outcome {}
  }

  private final Ledger ledger;
  private final Admission admission;
  private final Clock clock;
  private final LongSupplier nanoTicker;
  private final PipelineSettings settings;
  private final LimitSource fleetLimits;

  AdmissionStep(
      Ledger ledger,
      Admission admission,
      Clock clock,
      LongSupplier nanoTicker,
      PipelineSettings settings,
      LimitSource fleetLimits) {
    this.ledger = ledger;
    this.admission = admission;
    this.clock = clock;
    this.nanoTicker = nanoTicker;
    this.settings = settings;
    this.fleetLimits = fleetLimits;
  }

  /**
   * Admits the exchange: its fingerprint (when it is deduplicated, set on {@code ex}) and its
   * estimate in every limit, in one atomic store step. An in-flight twin is waited for up to {@link
   * PipelineSettings#dedupMaxWait()} ({@code waits} is told first) without a thread parked: the
   * next attempt is registered on the fingerprint's change, bounded on a shared scheduler. The
   * stage completes once the store answered (an admitted call's reservation is durable by then).
   */
  CompletionStage<Outcome> admit(Exchange ex, WaitListener waits) {
    ex.fingerprint = dedups(ex) ? fingerprint(ex) : null;
    long deadline = nanoTicker.getAsLong() + settings.dedupMaxWait().toNanos();
    return attempt(ex, waits, deadline, new boolean[1]);
  }

  /** One admit; an in-flight twin waits for a change and tries again until {@code deadline}. */
  private CompletionStage<Outcome> attempt(
      Exchange ex, WaitListener waits, long deadline, boolean[] told) {
    Instant now = clock.instant();
    return Stages.call(
            () ->
                admission.admit(
                    ex.fingerprint,
                    now.plus(ex.key.policy().dedupWindow()),
                    reserveRequest(ex, now)))
        .handle(
            (admit, failure) -> {
              if (failure != null) {
                return CompletableFuture.completedStage(storeFailed(ex, failure));
              }
              if (admit instanceof Admit.Admitted a) {
                return CompletableFuture.<Outcome>completedStage(new Outcome.Admitted(a.ticket()));
              }
              if (admit instanceof Admit.Replay r) {
                return CompletableFuture.<Outcome>completedStage(
                    new Outcome.Replayed(r.response()));
              }
              if (admit instanceof Admit.Exhausted no) {
                return CompletableFuture.<Outcome>completedStage(
                    new Outcome.Refused(exhausted(no)));
              }
              long left = deadline - nanoTicker.getAsLong();
              if (left <= 0) {
                return CompletableFuture.<Outcome>completedStage(
                    new Outcome.Refused(
                        Refusal.of(
                            RefusalCode.DUPLICATE_IN_FLIGHT,
                            "an identical call is still in flight or its outcome is unknown; it"
                                + " will be replayed once it completes, within the dedup window")));
              }
              if (!told[0]) {
                waits.waitingUpTo(Duration.ofNanos(left));
                told[0] = true;
              }
              return Stages.call(
                      () ->
                          admission.awaitChange(
                              ex.fingerprint, Duration.ofNanos(Math.min(left, POLL.toNanos()))))
                  .handle((v, ignored) -> null)
                  .thenCompose(v -> attempt(ex, waits, deadline, told));
            })
        .thenCompose(Function.identity());
  }

  /**
   * The one place a store failure on the decision path becomes a refusal: {@code
   * ledger_unavailable} (fail closed) for a store that did not answer; anything else is a fault and
   * is rethrown.
   */
  static Outcome storeFailed(Exchange ex, Throwable failure) {
    Throwable cause = Stages.cause(failure);
    if (cause instanceof StoreUnavailableException e) {
      log.warn("ledger unavailable for key {}: {}", ex.keyId(), e.getMessage());
      return new Outcome.Refused(
          Refusal.of(
              RefusalCode.LEDGER_UNAVAILABLE,
              "the spend ledger is unavailable; the call was not forwarded"));
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    throw new CompletionException(cause);
  }

  private boolean dedups(Exchange ex) {
    return ex.head.method().equalsIgnoreCase("POST")
        && !ex.key.policy().dedupWindow().isZero()
        && ex.match.endpoint().named();
  }

  /** Step 6's request: the estimate against every limit that applies to the key now. */
  private ReserveRequest reserveRequest(Exchange ex, Instant now) {
    String reservationId = ReservationIds.next(now);
    List<BudgetLimit> limits = limitsFor(ex, now, fleetLimits);
    if (ex.key.policy().guards().shadow()) { // guards: shadow mode forwards over a cap and counts
      limits = io.keybrake.core.guard.ShadowCaps.uncapped(limits);
    }
    return new ReserveRequest(reservationId, ex.key.id(), limits, ex.estimate.micros(), now);
  }

  /** Every limit that applies to the exchange's key at {@code now}: its own, then fleet budgets. */
  static List<BudgetLimit> limitsFor(Exchange ex, Instant now, LimitSource fleetLimits) {
    List<BudgetLimit> limits = new ArrayList<>(KeyBudgets.limitsFor(ex.key, now));
    limits.addAll(fleetLimits.limitsFor(ex.key, now));
    return limits;
  }

  private static Refusal exhausted(Admit.Exhausted no) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("spent_usd", Micros.toUsd(no.spentMicros()));
    details.put("cap_usd", Micros.toUsd(no.capMicros()));
    details.put("requested_usd", Micros.toUsd(no.requestedMicros()));
    details.put("budget", no.limit().budget());
    return new Refusal(
        RefusalCode.CAP_EXHAUSTED,
        "budget "
            + no.limit().budget()
            + " is exhausted: spent $"
            + Micros.format(no.spentMicros())
            + " of $"
            + Micros.format(no.capMicros())
            + ", this call needs $"
            + Micros.format(no.requestedMicros()),
        details);
  }

  /**
   * Refuses a call whose budget is already spent, before its cost is looked up at the vendor: a
   * spent cap must not even let the vendor be asked. A read, not a reservation; the atomic admit
   * still follows for a call that passes.
   */
  Optional<Refusal> refuseIfNoRoom(Exchange ex) {
    try {
      for (BudgetLimit limit : limitsFor(ex, clock.instant(), fleetLimits)) {
        long spent = ledger.counter(limit).totalMicros();
        if (spent >= limit.capMicros()) {
          Map<String, Object> details = new LinkedHashMap<>();
          details.put("spent_usd", Micros.toUsd(spent));
          details.put("cap_usd", Micros.toUsd(limit.capMicros()));
          details.put("budget", limit.budget());
          return Optional.of(
              new Refusal(
                  RefusalCode.CAP_EXHAUSTED,
                  "budget "
                      + limit.budget()
                      + " is exhausted: spent $"
                      + Micros.format(spent)
                      + " of $"
                      + Micros.format(limit.capMicros())
                      + "; the call was neither priced nor forwarded",
                  details));
        }
      }
    } catch (StoreUnavailableException e) {
      return Optional.of(((Outcome.Refused) storeFailed(ex, e)).refusal());
    }
    return Optional.empty();
  }

  /**
   * The spend an audit row for a refusal records: for a spent budget, that budget's spend; for any
   * other refusal of a known key, what the key's daily budget holds now (settled and reserved).
   */
  long spentAtRefusal(Exchange ex, Refusal refusal) {
    Object spent = refusal.details().get("spent_usd");
    if (spent instanceof java.math.BigDecimal usd) {
      return Micros.fromUsd(usd);
    }
    return refusal.code() == RefusalCode.LEDGER_UNAVAILABLE ? 0 : keySpentNow(ex);
  }

  /** Settled + reserved in the key's daily budget now; 0 for no key or a store that is down. */
  long keySpentNow(Exchange ex) {
    if (ex.key == null) {
      return 0;
    }
    try {
      return ledger.counter(KeyBudgets.limitsFor(ex.key, clock.instant()).get(0)).totalMicros();
    } catch (StoreUnavailableException e) {
      return 0;
    }
  }

  private static String fingerprint(Exchange ex) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] bodyHash = d.digest(ex.estimate.canonicalBody().getBytes(StandardCharsets.UTF_8));
      String dest =
          String.join(",", ex.estimate.destinations().stream().map(Object::toString).toList());
      String material =
          ex.key.id()
              + "\n"
              + ex.head.method().toUpperCase(java.util.Locale.ROOT)
              + "\n"
              + ex.match.endpoint().name()
              + "\n"
              + CredentialRewrite.withCredentialSegmentsBlanked(ex)
              + "\n"
              + dest
              + "\n"
              + HexFormat.of().formatHex(bodyHash);
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(material.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
