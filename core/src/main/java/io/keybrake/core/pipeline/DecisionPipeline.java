package io.keybrake.core.pipeline;

import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.lookup.ObjectLookup;
import io.keybrake.core.money.Micros;
import io.keybrake.core.request.NormalizedPath;
import io.keybrake.core.request.PathNormalizer;
import io.keybrake.core.request.StripeFormJson;
import io.keybrake.core.secret.AccountSidMask;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.core.vendor.BodyFormat;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy point (DESIGN.md §5): identify the key, check scope, read the body, check the
 * destination, deduplicate, reserve spend, rewrite the credential; then settle from the response
 * and write one audit row per decision. Data planes (the ext_proc server, through it Envoy and the
 * local gateway) call it once per phase of an {@link Exchange}. Thread-safe; each exchange is used
 * by one thread at a time.
 */
public final class DecisionPipeline {
  private static final Logger log = LoggerFactory.getLogger(DecisionPipeline.class);

  private final VendorRegistry vendors;
  private final KeyIdentifier identifier;
  private final CostEstimator costs;
  private final Clock clock;
  private final LongSupplier nanoTicker;
  private final PipelineSettings settings;
  private final RefusalRenderer renderer;
  private final AuditWriter auditWriter;
  private final AdmissionStep admission;
  private final Settlement settlement;
  private final ObjectLookup lookup;
  private final io.keybrake.core.guard.Guard guard; // guards: the guard step
  private final Ledger ledger; // guards: shadow mode reads the caps
  private final LimitSource fleetLimits; // guards: shadow mode reads the caps

  /** Runs the blocking parts off the data plane's event loop: audit appends, vendor lookups. */
  private final Executor blocking = Stages.blocking();

  public DecisionPipeline(
      VendorRegistry vendors,
      KeyCache keys,
      Ledger ledger,
      Admission admission,
      AuditLog audit,
      CostEstimator costs,
      Clock clock,
      LongSupplier nanoTicker,
      PipelineSettings settings) {
    this(
        vendors,
        keys,
        ledger,
        admission,
        audit,
        costs,
        clock,
        nanoTicker,
        settings,
        LimitSource.NONE,
        ObjectLookup.NONE);
  }

  /**
   * @param ledger read for the spend a refusal reports and for a spent cap before a cost lookup
   * @param admission the store's atomic dedup claim + reservation, and the tickets that finish them
   * @param fleetLimits the fleet and vendor budget limits that apply to a key, checked and reserved
   *     in the same atomic step as the key's own caps
   * @param lookup reads the vendor objects a cost rule needs (an invoice before it is paid) with
   *     the key's real credential; {@link ObjectLookup#NONE} refuses every such call
   */
  public DecisionPipeline(
      VendorRegistry vendors,
      KeyCache keys,
      Ledger ledger,
      Admission admission,
      AuditLog audit,
      CostEstimator costs,
      Clock clock,
      LongSupplier nanoTicker,
      PipelineSettings settings,
      LimitSource fleetLimits,
      ObjectLookup lookup) {
    this(
        vendors,
        keys,
        ledger,
        admission,
        audit,
        costs,
        clock,
        nanoTicker,
        settings,
        fleetLimits,
        lookup,
        io.keybrake.core.guard.Guard.NONE);
  }

  /**
   * @param guard the send window and loop guards ({@code io.keybrake.core.guard.Guard}), checked
   *     between the cost estimate and the reservation
   */
  public DecisionPipeline(
      VendorRegistry vendors,
      KeyCache keys,
      Ledger ledger,
      Admission admission,
      AuditLog audit,
      CostEstimator costs,
      Clock clock,
      LongSupplier nanoTicker,
      PipelineSettings settings,
      LimitSource fleetLimits,
      ObjectLookup lookup,
      io.keybrake.core.guard.Guard guard) {
    this.guard = guard;
    this.ledger = ledger;
    this.fleetLimits = fleetLimits;
    this.lookup = lookup;
    this.vendors = vendors;
    this.identifier = new KeyIdentifier(keys, vendors);
    this.renderer = new RefusalRenderer(vendors);
    this.costs = costs;
    this.clock = clock;
    this.nanoTicker = nanoTicker;
    this.settings = settings;
    this.auditWriter = new AuditWriter(audit, nanoTicker);
    this.admission = new AdmissionStep(ledger, admission, clock, nanoTicker, settings, fleetLimits);
    this.settlement = new Settlement(auditWriter, costs, blocking);
  }

  /** Starts an exchange; call once per request. */
  public Exchange begin() {
    return new Exchange(clock.instant(), nanoTicker.getAsLong());
  }

  /**
   * The request headers arrived. Completes with {@link Decision.NeedBody} or a final decision. The
   * checks that need no store run in the calling thread; the stage completes when the store work of
   * the phase is durable (a reservation for a request without a body, an audit row of a refusal),
   * so the data plane answers only then.
   */
  public CompletionStage<Decision> onRequestHeaders(
      Exchange ex, RequestHead head, WaitListener waits) {
    ex.head = head;
    NormalizedPath normalized;
    try {
      normalized = PathNormalizer.normalize(head.path());
    } catch (RequestRejected e) {
      return deny(ex, e.refusal());
    }
    ex.path = normalized.path();
    ex.encodedPath = normalized.encodedPath();
    KeyIdentifier.Result id;
    try {
      id = identifier.identify(head, ex.path, clock.instant(), vendorOfAuthority(head.authority()));
    } catch (StoreUnavailableException e) {
      log.warn("key registry unavailable: {}", e.getMessage());
      return deny(
          ex, Refusal.of(RefusalCode.LEDGER_UNAVAILABLE, "the key registry is unavailable"));
    }
    if (id instanceof KeyIdentifier.Result.Refused r) {
      return deny(ex, r.refusal());
    }
    ex.key = ((KeyIdentifier.Result.Found) id).key();
    Optional<VendorSpec> vendor = vendors.find(ex.key.vendor());
    if (vendor.isEmpty()) {
      return deny(
          ex, Refusal.of(RefusalCode.ENDPOINT_NOT_ALLOWED, "unknown vendor " + ex.key.vendor()));
    }
    ex.vendor = vendor.get();
    Optional<String> otherVendor = vendorOfAuthority(head.authority());
    if (otherVendor.isPresent() && !otherVendor.get().equals(ex.key.vendor())) {
      return deny(
          ex,
          Refusal.of(
              RefusalCode.ENDPOINT_NOT_ALLOWED,
              "this vault key is for " + ex.key.vendor() + ", not " + otherVendor.get()));
    }
    String method = head.method().toUpperCase(Locale.ROOT);
    Optional<EndpointMatch> match = vendor.get().match(method, ex.path);
    if (match.isEmpty() || !EndpointScope.allows(ex.key.policy(), match.get(), method, ex.path)) {
      return deny(
          ex,
          Refusal.of(
              RefusalCode.ENDPOINT_NOT_ALLOWED,
              method + " " + ex.path + " is not an endpoint this key may call"));
    }
    ex.match = match.get();
    Optional<Refusal> headerProblem = ForwardedHeaders.check(head, vendor.get(), ex.key.policy());
    if (headerProblem.isPresent()) {
      return deny(ex, headerProblem.get());
    }
    ex.dropHeaders = ForwardedHeaders.toDrop(head, vendor.get(), ForwardedHeaders.KEYBRAKE_SETS);
    if (!normalized.query().isEmpty()
        && ex.match.endpoint().body() != BodyFormat.NONE
        && ex.match.endpoint().cost() != io.keybrake.core.vendor.CostRule.FREE) {
      // Vendors merge query parameters into form fields: a To or amount there would skip the
      // checks.
      return deny(
          ex,
          Refusal.of(
              RefusalCode.UNREADABLE_REQUEST,
              "query parameters are not accepted on "
                  + method
                  + " "
                  + ex.path
                  + ": send every field in the body"));
    }
    Optional<Refusal> unreadable = checkEncoding(head, ex.match);
    if (unreadable.isPresent()) {
      return deny(ex, unreadable.get());
    }
    if (head.endOfStream()) {
      return onRequestBody(ex, new byte[0], waits);
    }
    ex.state = Exchange.SCOPED;
    return CompletableFuture.completedStage(new Decision.NeedBody());
  }

  /**
   * The whole request body arrived (BUFFERED). Completes with the final decision; an {@link
   * Decision.Allow} only once the call's reservation is durable in the store.
   */
  public CompletionStage<Decision> onRequestBody(Exchange ex, byte[] body, WaitListener waits) {
    if (ex.key == null || ex.match == null) {
      throw new IllegalStateException("request body before its headers were allowed");
    }
    ex.bodyBytes = body.length;
    if (body.length > settings.maxBodyBytes()) {
      return deny(ex, tooLarge());
    }
    byte[] checked = body;
    if (body.length > 0 && sentJsonForForm(ex)) {
      try {
        checked = StripeFormJson.toForm(body).encode(); // the policy checks what is forwarded
      } catch (RequestRejected e) {
        return deny(ex, e.refusal());
      }
    }
    if (ex.match.endpoint().cost().looksUp()) {
      // the budget check and the lookups may take longer than a data plane waits by default
      waits.waitingUpTo(KeyLookups.WAIT);
      byte[] form = checked;
      // the vendor lookups and the spend read block: they run off the data plane's event loop
      return CompletableFuture.supplyAsync(
              () -> {
                // a spent cap refuses the call before the vendor is asked anything (not in shadow)
                Optional<Refusal> spent =
                    shadow(ex) ? Optional.empty() : admission.refuseIfNoRoom(ex);
                if (spent.isPresent()) {
                  return deny(ex, spent.get());
                }
                return estimated(ex, body, form, WaitListener.NONE, waits);
              },
              blocking)
          .thenCompose(Function.identity());
    }
    return estimated(ex, body, checked, waits, waits);
  }

  /** Estimates the call's cost, runs the checks before admission, and admits it. */
  private CompletionStage<Decision> estimated(
      Exchange ex, byte[] body, byte[] checked, WaitListener lookupWaits, WaitListener waits) {
    try {
      ex.estimate =
          costs.estimate(
              ex.match,
              checked,
              ex.key.policy(),
              new KeyLookups(lookup, ex.key, lookupWaits, nanoTicker),
              ex.head.all("content-type"));
    } catch (RequestRejected e) {
      return deny(ex, e.refusal());
    }
    if (checked != body && ex.estimate.rewrittenBody().isEmpty()) {
      ex.estimate = ex.estimate.withRewrittenBody(checked);
      ex.formFromJson = true;
    }
    if (ex.key.policy().guards().counts() || shadow(ex)) {
      // counting guards write their counters, shadow mode reads the caps: off the event loop
      return CompletableFuture.supplyAsync(() -> checkedThenAdmitted(ex, waits), blocking)
          .thenCompose(Function.identity());
    }
    return checkedThenAdmitted(ex, waits);
  }

  private CompletionStage<Decision> checkedThenAdmitted(Exchange ex, WaitListener waits) {
    Optional<Refusal> refused = checksBeforeAdmission(ex);
    if (refused.isPresent()) {
      return deny(ex, refused.get());
    }
    return admit(ex, waits);
  }

  /**
   * Every check of a priced call that needs no store write, between the cost estimate and
   * admission: the policy's per-call maximum, the destinations, and an audit log that can be
   * written. The first refusal wins; empty lets the call on to {@link #admit}.
   */
  private Optional<Refusal> checksBeforeAdmission(Exchange ex) {
    Optional<Refusal> overMax = overMaxCall(ex);
    if (overMax.isPresent() && !shadowed(ex, overMax.get())) {
      return overMax;
    }
    Optional<Refusal> destination =
        io.keybrake.core.destination.DestinationPolicy.check(
            ex.key.policy(), ex.estimate.destinations());
    if (destination.isPresent() && !shadowed(ex, destination.get())) {
      return destination;
    }
    // guards: the send window and loop guards, between the cost estimate and the reservation
    Optional<Refusal> guarded = guard.check(ex.key, ex.match.endpoint().name(), ex.estimate);
    if (guarded.isPresent()
        && (guarded.get().code() == RefusalCode.LEDGER_UNAVAILABLE // fails closed in shadow too
            || !shadowed(ex, guarded.get()))) {
      return guarded;
    }
    if (shadow(ex)) {
      try {
        io.keybrake.core.guard.ShadowCaps.wouldExceed(
                ledger,
                AdmissionStep.limitsFor(ex, clock.instant(), fleetLimits),
                ex.estimate.micros())
            .ifPresent(r -> shadowed(ex, r));
      } catch (StoreUnavailableException e) {
        return Optional.of(
            Refusal.of(
                RefusalCode.LEDGER_UNAVAILABLE,
                "the spend ledger is unavailable; the call was not forwarded"));
      }
    }
    if (!auditWriter.writable()) {
      log.warn(
          "audit log not writable ({} rows wait); refusing key {}",
          auditWriter.backlog(),
          ex.keyId());
      return Optional.of(
          Refusal.of(
              RefusalCode.LEDGER_UNAVAILABLE,
              "the audit log cannot be written; the call was not forwarded"));
    }
    return Optional.empty();
  }

  /**
   * Steps 5-7: claim and reserve in one store step, then forward with the credential swapped. The
   * allow is decided only once the store answered: the reservation is durable before the call is
   * forwarded.
   */
  private CompletionStage<Decision> admit(Exchange ex, WaitListener waits) {
    return admission
        .admit(ex, waits)
        .thenCompose(
            outcome -> {
              if (outcome instanceof AdmissionStep.Outcome.Admitted a) {
                ex.reservation = a.ticket().reservation();
                ex.state = new Exchange.Forwarded(a.ticket());
                return CompletableFuture.completedStage(
                    new Decision.Allow(CredentialRewrite.of(ex)));
              }
              if (outcome instanceof AdmissionStep.Outcome.Replayed r) {
                ex.state = Exchange.DONE;
                return CompletableFuture.supplyAsync(
                    () -> {
                      auditWriter.replayed(ex, r.response().status(), admission.keySpentNow(ex));
                      return new Decision.Replay(r.response());
                    },
                    blocking);
              }
              return deny(ex, ((AdmissionStep.Outcome.Refused) outcome).refusal());
            });
  }

  /**
   * The vendor's response headers arrived. When {@code endOfStream}, or when the body is not needed
   * (an endpoint that costs nothing and is not kept for replay), the exchange is settled now and
   * {@link ResponseAnnotations#bodyNeeded()} is false; otherwise the body follows. Completes once a
   * settlement made in this phase is durable.
   */
  public CompletionStage<ResponseAnnotations> onResponseHeaders(
      Exchange ex, int status, Optional<String> contentType, boolean endOfStream) {
    ex.responseStatus = status;
    ex.responseContentType = contentType.orElse(null);
    if (!(ex.state instanceof Exchange.Forwarded)) {
      return CompletableFuture.completedStage(ResponseAnnotations.NONE);
    }
    boolean free = ex.match.endpoint().cost() == io.keybrake.core.vendor.CostRule.FREE;
    // a Twilio answer is read to mask the real Account SID in it (AccountSidMask)
    boolean masked = AccountSidMask.of(ex.key, ex.vendor).isPresent();
    if (!endOfStream && (ex.fingerprint != null || !free || masked)) {
      return CompletableFuture.completedStage(ResponseAnnotations.AWAIT_BODY);
    }
    return onResponseBody(ex, new byte[0]);
  }

  /**
   * The data plane reports that the forwarded call never left the machine (the vendor's name did
   * not resolve, the connection was refused): its reservation is released, not kept as unsettled.
   * Call before {@link #onResponseHeaders}.
   */
  public void neverSent(Exchange ex) {
    ex.neverSent = true;
  }

  /**
   * The vendor's whole response body arrived: settle, remember for replay, audit. Completes once
   * the settlement and its audit row are durable.
   */
  public CompletionStage<ResponseAnnotations> onResponseBody(Exchange ex, byte[] body) {
    if (!(ex.state instanceof Exchange.Forwarded forwarded)) {
      return CompletableFuture.completedStage(ResponseAnnotations.NONE);
    }
    ex.state = Exchange.DONE;
    // settled and kept for replay as the agent gets it: without the real Account SID
    byte[] shown = AccountSidMask.of(ex.key, ex.vendor).map(m -> m.body(body)).orElse(body);
    return settlement
        .settle(ex, forwarded.ticket(), shown)
        .thenApply(ann -> shown == body ? ann : ann.withBody(shown));
  }

  /**
   * The vendor's response headers whose values must change before the agent sees them (those that
   * quote the real Twilio Account SID, masked); empty for every other exchange.
   */
  public List<Map.Entry<String, String>> maskedResponseHeaders(
      Exchange ex, List<Map.Entry<String, String>> headers) {
    Optional<AccountSidMask> mask = AccountSidMask.of(ex.key, ex.vendor);
    if (mask.isEmpty()) {
      return List.of();
    }
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (Map.Entry<String, String> h : headers) {
      String v = mask.get().text(h.getValue());
      if (!h.getKey().startsWith(":") && v != h.getValue()) {
        out.add(Map.entry(h.getKey(), v));
      }
    }
    return out;
  }

  /**
   * The stream ended early. A forwarded call keeps its reservation, marked unsettled; the stage
   * completes when the store has it. Call after any pending phase of the exchange completed.
   */
  public CompletionStage<Void> onAbort(Exchange ex) {
    Exchange.State was = ex.state;
    ex.state = Exchange.DONE;
    if (was instanceof Exchange.Forwarded forwarded) {
      return settlement.abandonForwarded(ex, forwarded.ticket());
    }
    return Stages.done();
  }

  /** The vendor whose API host the request was addressed to, if it is one. */
  private Optional<String> vendorOfAuthority(String authority) {
    if (authority == null || authority.isEmpty()) {
      return Optional.empty();
    }
    String host = authority.toLowerCase(Locale.ROOT);
    int colon = host.lastIndexOf(':');
    if (colon > 0 && host.indexOf(']') < colon) {
      host = host.substring(0, colon);
    }
    for (VendorSpec spec : vendors.all()) {
      if (host.equals(spec.upstream().getHost())) {
        return Optional.of(spec.id());
      }
    }
    return Optional.empty();
  }

  private Optional<Refusal> checkEncoding(RequestHead head, EndpointMatch match) {
    for (String enc : head.all("content-encoding")) {
      if (!enc.isBlank() && !enc.trim().equalsIgnoreCase("identity")) {
        return Optional.of(
            Refusal.of(
                RefusalCode.UNREADABLE_REQUEST,
                "Content-Encoding '"
                    + enc.trim()
                    + "' is not accepted: send the body uncompressed so it can be checked"));
      }
    }
    for (String len : head.all("content-length")) {
      try {
        if (Long.parseLong(len.trim()) > settings.maxBodyBytes()) {
          return Optional.of(tooLarge());
        }
      } catch (NumberFormatException e) {
        return Optional.of(Refusal.of(RefusalCode.UNREADABLE_REQUEST, "invalid Content-Length"));
      }
    }
    if (head.endOfStream()) {
      return Optional.empty();
    }
    List<String> accepted = match.endpoint().body().mediaTypes(); // STRIPE_FORM takes JSON too
    Optional<String> mediaProblem =
        accepted.isEmpty()
            ? Optional.empty()
            : io.keybrake.core.request.MediaType.problem(head.all("content-type"), accepted);
    if (mediaProblem.isPresent()) {
      return Optional.of(Refusal.of(RefusalCode.UNREADABLE_REQUEST, mediaProblem.get()));
    }
    return Optional.empty();
  }

  /** Whether the agent sent JSON to a Stripe form endpoint (it is forwarded form-encoded). */
  private static boolean sentJsonForForm(Exchange ex) {
    return ex.match.endpoint().body() == BodyFormat.STRIPE_FORM
        && isJson(ex.head.first("content-type").orElse("").toLowerCase(Locale.ROOT).trim());
  }

  private static boolean isJson(String type) {
    int semi = type.indexOf(';');
    return (semi < 0 ? type : type.substring(0, semi)).trim().equals("application/json");
  }

  /** The policy's {@code max_call_usd}: no single call estimated above it. */
  private static Optional<Refusal> overMaxCall(Exchange ex) {
    java.util.OptionalLong max = ex.key.policy().maxCallMicros();
    if (max.isEmpty() || ex.estimate.micros() <= max.getAsLong()) {
      return Optional.empty();
    }
    java.util.Map<String, Object> details = new java.util.LinkedHashMap<>();
    details.put("estimated_usd", Micros.toUsd(ex.estimate.micros()));
    details.put("max_call_usd", Micros.toUsd(max.getAsLong()));
    return Optional.of(
        new Refusal(
            RefusalCode.MAX_CALL_EXCEEDED,
            "this call is estimated at $"
                + Micros.format(ex.estimate.micros())
                + " ("
                + ex.estimate.detail()
                + "), above the key's max_call_usd of $"
                + Micros.format(max.getAsLong()),
            details));
  }

  private Refusal tooLarge() {
    return Refusal.of(
        RefusalCode.REQUEST_TOO_LARGE,
        "request body is over the " + settings.maxBodyBytes() + "-byte limit");
  }

  /**
   * The vendor whose SDK will read a refusal: the key's, else the one the request was addressed to
   * (API host, or a path only that vendor has), so an unknown key still gets a readable error.
   */
  private String vendorForRendering(Exchange ex) {
    if (ex.key != null) {
      return ex.key.vendor();
    }
    if (ex.head == null) {
      return null;
    }
    Optional<String> byHost = vendorOfAuthority(ex.head.authority());
    if (byHost.isPresent()) {
      return byHost.get();
    }
    String path = ex.path == null ? ex.head.path() : ex.path;
    String method = ex.head.method().toUpperCase(Locale.ROOT);
    for (VendorSpec spec : vendors.all()) {
      Optional<EndpointMatch> m = spec.match(method, path);
      if (m.isPresent() && m.get().endpoint().named()) {
        return spec.id();
      }
    }
    return null;
  }

  /**
   * guards: in shadow mode ({@code "mode": "shadow"}) a policy refusal does not refuse: the first
   * one is kept on the exchange for its audit row ({@code would_refuse:<code>}) and true is
   * returned (go on); otherwise false (the caller refuses).
   */
  private static boolean shadowed(Exchange ex, Refusal refusal) {
    if (!shadow(ex)) {
      return false;
    }
    if (ex.wouldRefuse == null) {
      ex.wouldRefuse = refusal;
    }
    return true;
  }

  private static boolean shadow(Exchange ex) {
    return ex.key.policy().guards().shadow();
  }

  /**
   * The one place a refusal becomes a decision: the exchange is done, its audit row is written (off
   * the event loop: the append blocks), and the refusal is rendered for the vendor's SDK. Nothing
   * is held in the store by then. Completes once the row is written.
   */
  private CompletionStage<Decision> deny(Exchange ex, Refusal refusal) {
    ex.state = Exchange.DONE;
    Decision d = new Decision.Deny(refusal, renderer.render(refusal, vendorForRendering(ex)));
    return CompletableFuture.supplyAsync(
        () -> {
          auditWriter.blocked(ex, refusal, admission.spentAtRefusal(ex, refusal));
          return d;
        },
        blocking);
  }
}
