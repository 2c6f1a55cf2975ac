package io.keybrake.cli.prices;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Twilio answers a new message or call with {@code price: null}; Keybrake settles it at the
 * estimate, marked {@code estimated}. This job fetches each such resource again with the real
 * credential once Twilio has priced it, replaces the settled amount by the price ({@link
 * Ledger#adjust}) and appends a {@code settled} audit row carrying the estimate and the actual
 * cost. Rows already followed by a {@code settled} row are skipped. Safe to run from several
 * instances (the adjustment is idempotent; two instances may both append a row). Thread-safe:
 * {@link #runOnce} is synchronized.
 */
public final class TwilioPriceReconciler {
  private static final Logger log = LoggerFactory.getLogger(TwilioPriceReconciler.class);
  private static final Map<String, String> FETCH_PATH =
      Map.of(
          "/2010-04-01/Accounts/{AccountSid}/Messages.json", "Messages",
          "/2010-04-01/Accounts/{AccountSid}/Calls.json", "Calls");

  /** Bounds one pass's work (and its load on the vendor). */
  private static final int MAX_FETCHES_PER_PASS = 50;

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

  /** One pass over recent estimated rows; returns how many were settled at the vendor's price. */
  public synchronized int runOnce() {
    Instant now = clock.instant();
    List<AuditRecord> rows =
        audit.query(
            new AuditQuery(
                Optional.empty(),
                Optional.of(now.minus(lookback)),
                Optional.empty(),
                AuditQuery.MAX_LIMIT));
    Set<String> done = new HashSet<>();
    for (AuditRecord r : rows) {
      if ("settled".equals(r.entry().decision()) && r.entry().reservationId() != null) {
        done.add(r.entry().reservationId());
      }
    }
    int settled = 0;
    int fetched = 0;
    for (AuditRecord r : rows) {
      if (fetched >= MAX_FETCHES_PER_PASS) {
        break;
      }
      AuditEntry e = r.entry();
      if (!"allowed".equals(e.decision())
          || !"estimated".equals(e.settlement())
          || !twilio.id().equals(e.vendor())
          || e.vendorObjectId() == null
          || e.reservationId() == null
          || !FETCH_PATH.containsKey(e.endpoint())
          || done.contains(e.reservationId())) {
        continue;
      }
      fetched++;
      try {
        if (reconcile(e)) {
          settled++;
        }
      } catch (IOException | StoreUnavailableException e2) {
        // the vendor or the store cannot be reached: stop this pass, try again in the next one
        log.warn("price of {} not reconciled yet: {}", e.vendorObjectId(), e2.toString());
        return settled;
      } catch (InterruptedException e2) {
        Thread.currentThread().interrupt();
        return settled;
      }
    }
    return settled;
  }

  private boolean reconcile(AuditEntry e) throws IOException, InterruptedException {
    Optional<KeyRecord> key = keys.findById(e.keyId());
    if (key.isEmpty() || !twilio.id().equals(key.get().vendor())) {
      return false;
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
      return false;
    }
    String create = kind.equals("Messages") ? "messages.create" : "calls.create";
    EndpointSpec spec = twilio.endpoint(create).orElseThrow();
    ActualCost actual = costs.actual(new EndpointMatch(spec, Map.of()), 200, resp.body());
    if (actual.micros().isEmpty()) {
      return false; // not priced yet: next pass
    }
    long micros = actual.micros().getAsLong();
    ledger.adjust(e.reservationId(), micros);
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
    return true;
  }
}
