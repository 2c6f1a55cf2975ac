package io.keybrake.cli.prices;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.cost.ActualCost;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.VendorSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Twilio answers a new message or call with {@code price: null}; Keybrake settles it at the
 * estimate, marked {@code estimated}. This job fetches each such resource again with the real
 * credential once Twilio has priced it, replaces the settled amount by the price ({@link
 * Ledger#adjust}) and appends a {@code settled} audit row carrying the estimate and the actual
 * cost. Rows already followed by a {@code settled} row are skipped. Safe to run from several
 * instances: the adjustment is atomic and idempotent, and only the instance whose adjustment
 * changed the amount appends the row (when the price equals the amount settled at, no adjustment
 * changes anything, and two instances racing may both append a row correcting nothing).
 * Thread-safe: {@link #runOnce} is synchronized.
 */
public final class TwilioPriceReconciler {
  private static final Logger log = LoggerFactory.getLogger(TwilioPriceReconciler.class);
  private static final Map<String, String> FETCH_PATH =
      Map.of(
          "/2010-04-01/Accounts/{AccountSid}/Messages.json", "Messages",
          "/2010-04-01/Accounts/{AccountSid}/Calls.json", "Calls");

  /**
   * Bounds one pass's work (and its load on the vendor); a full pass leaves the rest to the next.
   */
  static final int MAX_FETCHES_PER_PASS = 500;

  /** Rows read from the audit log at a time. */
  private static final int PAGE = 200;

  private final AuditLog audit;
  private final KeyStore keys;
  private final Ledger ledger;
  private final VendorSpec twilio;
  private final CostEstimator costs;
  private final URI base;
  private final Clock clock;
  private final Duration lookback;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Every row at or below this seq is settled or not the reconciler's (guarded by this). */
  private long cursor;

  /**
   * When the oldest row still at its estimate after the last pass was recorded (guarded by this).
   */
  private Optional<Instant> oldestUnpriced = Optional.empty();

  /**
   * @param base Twilio's API base URL (or a simulator's)
   * @param lookback how far back estimated rows are considered
   */
  public TwilioPriceReconciler(
      AuditLog audit,
      KeyStore keys,
      Ledger ledger,
      VendorSpec twilio,
      CostEstimator costs,
      URI base,
      Clock clock,
      Duration lookback) {
    this.audit = audit;
    this.keys = keys;
    this.ledger = ledger;
    this.twilio = twilio;
    this.costs = costs;
    this.base = base;
    this.clock = clock;
    this.lookback = lookback;
  }

  /**
   * One pass over the estimated rows of the lookback not settled yet, oldest first, from where the
   * last pass left off: every one is found in turn however busy the log is; at most {@value
   * #MAX_FETCHES_PER_PASS} fetches a pass. Returns how many were settled at the vendor's price.
   */
  public synchronized int runOnce() {
    Instant since = clock.instant().minus(lookback);
    int settled = 0;
    int fetched = 0;
    long after = cursor;
    AuditRecord firstLeft = null; // the oldest row still at its estimate
    pages:
    while (true) {
      List<AuditRecord> rows = audit.unpricedEstimates(twilio.id(), since, after, PAGE);
      for (AuditRecord r : rows) {
        if (!FETCH_PATH.containsKey(r.entry().endpoint())) {
          after = r.seq(); // an estimate nothing can fetch a price for
          continue;
        }
        Outcome done = fetched++ < MAX_FETCHES_PER_PASS ? attempt(r.entry()) : Outcome.STOPPED;
        if (done.leavesRow() && firstLeft == null) {
          firstLeft = r;
        }
        if (done == Outcome.STOPPED) {
          break pages;
        }
        if (done == Outcome.SETTLED) {
          settled++;
        }
        after = r.seq();
      }
      if (rows.size() < PAGE) {
        break;
      }
    }
    cursor = firstLeft == null ? after : firstLeft.seq() - 1;
    oldestUnpriced = Optional.ofNullable(firstLeft).map(r -> r.entry().at());
    return settled;
  }

  /**
   * When the oldest Twilio message or call still counted at its estimate was recorded, as the last
   * pass left it; empty when every one is priced (or no pass has run).
   */
  public synchronized Optional<Instant> oldestUnpriced() {
    return oldestUnpriced;
  }

  /** What one row's attempt came to. */
  private enum Outcome {
    /** Settled at the vendor's price. */
    SETTLED,
    /** Not priced yet (or the vendor answered otherwise): the next pass fetches it again. */
    NOT_YET,
    /** Its key is gone: nothing can fetch the price. */
    NEVER,
    /**
     * Another instance adjusted it first (that instance appends the row), or its reservation is
     * gone: nothing to record here.
     */
    ELSEWHERE,
    /** The vendor or the store cannot be reached, or the pass's budget is spent: stop here. */
    STOPPED;

    boolean leavesRow() {
      return this == NOT_YET || this == STOPPED;
    }
  }

  /** {@link #reconcile}, with the failures that end a pass as {@link Outcome#STOPPED}. */
  private Outcome attempt(AuditEntry e) {
    try {
      return reconcile(e);
    } catch (IOException | StoreUnavailableException failure) {
      log.warn("price of {} not reconciled yet: {}", e.vendorObjectId(), failure.toString());
      return Outcome.STOPPED;
    } catch (InterruptedException failure) {
      Thread.currentThread().interrupt();
      return Outcome.STOPPED;
    }
  }

  private Outcome reconcile(AuditEntry e) throws IOException, InterruptedException {
    Optional<KeyRecord> key = keys.findById(e.keyId());
    if (key.isEmpty() || !twilio.id().equals(key.get().vendor())) {
      return Outcome.NEVER;
    }
    VendorCredential cred = key.get().credential();
    String kind = FETCH_PATH.get(e.endpoint());
    URI uri =
        URI.create(
            base.toString().replaceAll("/+$", "")
                + "/2010-04-01/Accounts/"
                + cred.value(twilio, "account_sid")
                + "/"
                + kind
                + "/"
                + e.vendorObjectId()
                + ".json");
    // the credential where the spec injects it (Basic account SID : auth token)
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    for (Map.Entry<String, String> h :
        io.keybrake.core.key.CredentialInjection.headers(twilio, cred)) {
      request.header(h.getKey(), h.getValue());
    }
    HttpResponse<byte[]> resp =
        http.send(request.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    if (resp.statusCode() != 200) {
      log.warn("fetching {} for its price answered {}", e.vendorObjectId(), resp.statusCode());
      return Outcome.NOT_YET;
    }
    String create = kind.equals("Messages") ? "messages.create" : "calls.create";
    EndpointSpec spec = twilio.endpoint(create).orElseThrow();
    ActualCost actual = costs.actual(new EndpointMatch(spec, Map.of()), 200, resp.body());
    if (actual.micros().isEmpty()) {
      return Outcome.NOT_YET; // not priced yet: next pass
    }
    long micros = actual.micros().getAsLong();
    // no change: another instance adjusted it first, or the price is the estimate it was settled at
    if (!ledger.adjust(e.reservationId(), micros) && micros != e.estimatedMicros()) {
      return Outcome.ELSEWHERE; // a second settled row would count the correction twice
    }
    audit.append(
        new AuditEntry(
            clock.instant(),
            e.keyId(),
            e.keyName(),
            e.labels(),
            e.vendor(),
            e.method(),
            e.endpoint(),
            e.destination(),
            0,
            e.estimatedMicros(),
            micros,
            e.vendorObjectId(),
            "settled",
            null,
            resp.statusCode(),
            0,
            0,
            "settled",
            e.reservationId()));
    return Outcome.SETTLED;
  }
}
