package io.keybrake.core.pipeline;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.LedgerDedupCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.StoreUnavailableException;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.money.Micros;
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
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 5-7 of a decision: deduplicate, reserve spend in every budget at once, and build the
 * rewrite that swaps the vault key for the real credential. Thread-safe.
 */
final class Forwarding {
  private static final Logger log = LoggerFactory.getLogger(Forwarding.class);
  private static final Duration POLL = Duration.ofMillis(50);

  /** Headers this data plane sets for routing; never forwarded to a vendor. */
  static final String KEY_ID_HEADER = "x-keybrake-key-id";

  static final String VENDOR_HEADER = "x-keybrake-vendor";

  /** Headers the rewrite sets, overwriting what the agent sent. */
  static final java.util.Set<String> KEYBRAKE_SETS =
      java.util.Set.of("authorization", KEY_ID_HEADER, VENDOR_HEADER);

  private final Ledger ledger;
  private final LedgerDedupCache dedup;
  private final AuditWriter audit;
  private final Clock clock;
  private final LongSupplier nanoTicker;
  private final PipelineSettings settings;
  private final LimitSource fleetLimits;
  private final BiFunction<Exchange, Refusal, Decision> deny;

  Forwarding(
      Ledger ledger,
      LedgerDedupCache dedup,
      AuditWriter audit,
      Clock clock,
      LongSupplier nanoTicker,
      PipelineSettings settings,
      LimitSource fleetLimits,
      BiFunction<Exchange, Refusal, Decision> deny) {
    this.ledger = ledger;
    this.dedup = dedup;
    this.audit = audit;
    this.clock = clock;
    this.nanoTicker = nanoTicker;
    this.settings = settings;
    this.fleetLimits = fleetLimits;
    this.deny = deny;
  }

  Decision decide(Exchange ex, WaitListener waits) {
    if (!audit.writable()) {
      log.warn(
          "audit log not writable ({} rows wait); refusing key {}", audit.backlog(), ex.keyId());
      return deny.apply(
          ex,
          Refusal.of(
              RefusalCode.LEDGER_UNAVAILABLE,
              "the audit log cannot be written; the call was not forwarded"));
    }
    try {
      if (dedups(ex)) {
        ex.fingerprint = fingerprint(ex);
        Claimed claimed = claim(ex, waits);
        return claimed.early() != null ? claimed.early() : reserved(ex, claimed.reservation());
      }
      return reserved(ex, ledger.reserve(reserveRequest(ex)));
    } catch (StoreUnavailableException e) {
      log.warn("ledger unavailable for key {}: {}", ex.keyId(), e.getMessage());
      abandonClaim(ex);
      return deny.apply(
          ex,
          Refusal.of(
              RefusalCode.LEDGER_UNAVAILABLE,
              "the spend ledger is unavailable; the call was not forwarded"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abandonClaim(ex);
      return deny.apply(
          ex, Refusal.of(RefusalCode.LEDGER_UNAVAILABLE, "interrupted while deduplicating"));
    }
  }

  private boolean dedups(Exchange ex) {
    return ex.head.method().equalsIgnoreCase("POST")
        && !ex.key.policy().dedupWindow().isZero()
        && ex.match.endpoint().named();
  }

  /**
   * What the claim step ended with: a final decision ({@code early}: a replay or a refusal), or a
   * won claim with its reservation (claim and reservation are one step).
   */
  private record Claimed(Decision early, ReserveOutcome reservation) {}

  private Claimed claim(Exchange ex, WaitListener waits) throws InterruptedException {
    long deadline = nanoTicker.getAsLong() + settings.dedupMaxWait().toNanos();
    boolean told = false;
    while (true) {
      Instant now = clock.instant();
      LedgerDedupCache.ClaimAndReservation cr =
          dedup.claimAndReserve(
              ex.fingerprint, now, now.plus(ex.key.policy().dedupWindow()), reserveRequest(ex));
      Claim claim = cr.claim();
      ReserveOutcome reservation = cr.reservation();
      if (claim instanceof Claim.Won won) {
        if (!(reservation instanceof ReserveOutcome.Exhausted)) {
          ex.claimToken = won.token(); // a refused reservation kept no claim
        }
        return new Claimed(null, reservation);
      }
      if (claim instanceof Claim.Completed done) {
        ex.phase = Exchange.Phase.ANSWERED;
        audit.replayed(ex, done.response().status(), keySpentNow(ex));
        return new Claimed(new Decision.Replay(done.response()), null);
      }
      long left = deadline - nanoTicker.getAsLong();
      if (left <= 0) {
        return new Claimed(
            deny.apply(
                ex,
                Refusal.of(
                    RefusalCode.DUPLICATE_IN_FLIGHT,
                    "an identical call is still in flight or its outcome is unknown; it will be"
                        + " replayed once it completes, within the dedup window")),
            null);
      }
      if (!told) {
        waits.waitingUpTo(Duration.ofNanos(left));
        told = true;
      }
      dedup.awaitChange(ex.fingerprint, Duration.ofNanos(Math.min(left, POLL.toNanos())));
    }
  }

  /** Step 6's request: the estimate against every limit that applies to the key now. */
  private ReserveRequest reserveRequest(Exchange ex) {
    KeyRecord key = ex.key;
    Instant now = clock.instant();
    List<BudgetLimit> limits = limitsFor(ex, now, fleetLimits);
    if (key.policy().guards().shadow()) { // guards: shadow mode forwards over a cap and counts
      limits = io.keybrake.core.guard.ShadowCaps.uncapped(limits);
    }
    String reservationId = "rsv_" + UUID.randomUUID().toString().replace("-", "");
    return new ReserveRequest(reservationId, key.id(), limits, ex.estimate.micros(), now);
  }

  /** Every limit that applies to the exchange's key at {@code now}: its own, then fleet budgets. */
  static List<BudgetLimit> limitsFor(Exchange ex, Instant now, LimitSource fleetLimits) {
    List<BudgetLimit> limits = new ArrayList<>(KeyBudgets.limitsFor(ex.key, now));
    limits.addAll(fleetLimits.limitsFor(ex.key, now));
    return limits;
  }

  /** Forwards a reserved call; refuses (and gives up the claim) when a budget is exhausted. */
  private Decision reserved(Exchange ex, ReserveOutcome outcome) {
    if (outcome instanceof ReserveOutcome.Exhausted no) {
      abandonClaim(ex);
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("spent_usd", Micros.toUsd(no.spentMicros()));
      details.put("cap_usd", Micros.toUsd(no.limit().capMicros()));
      details.put("requested_usd", Micros.toUsd(no.requestedMicros()));
      details.put("budget", no.limit().budget());
      return deny.apply(
          ex,
          new Refusal(
              RefusalCode.CAP_EXHAUSTED,
              "budget "
                  + no.limit().budget()
                  + " is exhausted: spent $"
                  + Micros.format(no.spentMicros())
                  + " of $"
                  + Micros.format(no.limit().capMicros())
                  + ", this call needs $"
                  + Micros.format(no.requestedMicros()),
              details));
    }
    ex.reservation = (ReserveOutcome.Reserved) outcome;
    ex.phase = Exchange.Phase.FORWARDED;
    return new Decision.Allow(CredentialRewrite.of(ex));
  }

  /**
   * Refuses a call whose budget is already spent, before its cost is looked up at the vendor: a
   * spent cap must not even let the vendor be asked. A read, not a reservation; the atomic reserve
   * still follows for a call that passes.
   */
  Optional<Decision> refuseIfNoRoom(Exchange ex) {
    Instant now = clock.instant();
    List<BudgetLimit> limits = new ArrayList<>(KeyBudgets.limitsFor(ex.key, now));
    limits.addAll(fleetLimits.limitsFor(ex.key, now));
    try {
      for (BudgetLimit limit : limits) {
        long spent = ledger.counter(limit).totalMicros();
        if (spent >= limit.capMicros()) {
          Map<String, Object> details = new LinkedHashMap<>();
          details.put("spent_usd", Micros.toUsd(spent));
          details.put("cap_usd", Micros.toUsd(limit.capMicros()));
          details.put("budget", limit.budget());
          return Optional.of(
              deny.apply(
                  ex,
                  new Refusal(
                      RefusalCode.CAP_EXHAUSTED,
                      "budget "
                          + limit.budget()
                          + " is exhausted: spent $"
                          + Micros.format(spent)
                          + " of $"
                          + Micros.format(limit.capMicros())
                          + "; the call was neither priced nor forwarded",
                      details)));
        }
      }
    } catch (StoreUnavailableException e) {
      log.warn("ledger unavailable for key {}: {}", ex.keyId(), e.getMessage());
      return Optional.of(
          deny.apply(
              ex,
              Refusal.of(
                  RefusalCode.LEDGER_UNAVAILABLE,
                  "the spend ledger is unavailable; the call was not forwarded")));
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

  private void abandonClaim(Exchange ex) {
    if (ex.claimToken != null) {
      try {
        dedup.abandon(ex.fingerprint, ex.claimToken);
      } catch (StoreUnavailableException e) {
        log.warn("could not release dedup claim: {}", e.getMessage());
      }
      ex.claimToken = null;
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
              + CredentialRewrite.withPathVariable(ex, "AccountSid", "-")
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
