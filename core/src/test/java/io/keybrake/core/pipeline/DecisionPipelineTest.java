package io.keybrake.core.pipeline;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.testing.InMemoryAuditLog;
import io.keybrake.core.testing.InMemoryKeyStore;
import io.keybrake.core.testing.InMemoryStore;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.vendor.VendorRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every step of a decision (DESIGN §5) through {@link DecisionPipeline}, against in-memory fakes of
 * its ports: what the agent gets back, what the store holds, which audit row is written.
 */
class DecisionPipelineTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String SECRET = "vault_key_" + "A".repeat(40);
  private static final String ACCOUNT = "AC" + "0123456789abcdef".repeat(2);
  private static final String US = "+14155552671";
  private static final String PRICED_201 =
      "{\"sid\":\"SM0123456789abcdef0123456789abcdef\",\"status\":\"queued\","
          + "\"price\":\"-0.00790\",\"price_unit\":\"USD\"}";

  private final MutableClock clock = new MutableClock(NOW);
  private final InMemoryKeyStore keys = new InMemoryKeyStore();
  private final InMemoryStore store = new InMemoryStore();
  private final InMemoryAuditLog audit = new InMemoryAuditLog();
  private final KeyRecord key =
      key(
          "key_t1",
          SECRET,
          policy("{'daily_usd_cap':1,'allowed_prefixes':['+1'],'dedup_window_seconds':60}"));

  DecisionPipelineTest() {
    keys.create(key);
  }

  private DecisionPipeline pipeline(PipelineSettings settings) {
    return new DecisionPipeline(
        VendorRegistry.loadDefault(),
        new KeyCache(keys, clock, Duration.ZERO),
        store,
        store,
        audit,
        new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
        clock,
        System::nanoTime,
        settings);
  }

  private final DecisionPipeline pipeline = pipeline(PipelineSettings.DEFAULTS);

  // --- step 1: identify the key

  @Test
  void anUnknownKeyIsRefused401AndAudited() {
    Decision d = send(pipeline, pipeline.begin(), sms("vault_key_" + "Z".repeat(40), US, "hi"));
    assertRefused(d, RefusalCode.INVALID_KEY, 401);
    assertThat(audit.last().decision()).isEqualTo("blocked");
    assertThat(store.admits()).isZero();
  }

  @Test
  void aRevokedKeyIsRefused401() {
    keys.revoke(key.id(), NOW.minusSeconds(1));
    assertRefused(
        send(pipeline, pipeline.begin(), sms(SECRET, US, "hi")), RefusalCode.KEY_REVOKED, 401);
    assertThat(store.admits()).isZero();
  }

  // --- step 2: scope

  @Test
  void anEndpointOutsideTheSpecIsRefused403() {
    Exchange ex = pipeline.begin();
    Decision d =
        Stages.join(
            pipeline.onRequestHeaders(
                ex,
                new RequestHead(
                    "DELETE",
                    "/2010-04-01/Accounts/" + SECRET + "/Balance.json",
                    "api.twilio.com",
                    List.of(),
                    true),
                WaitListener.NONE));
    assertRefused(d, RefusalCode.ENDPOINT_NOT_ALLOWED, 403);
  }

  // --- step 3: the body must be readable with certainty

  @Test
  void aCompressedBodyIsRefused400NeverForwardedUnchecked() {
    Request r = sms(SECRET, US, "hi");
    RequestHead gz =
        new RequestHead(
            r.head().method(),
            r.head().path(),
            r.head().authority(),
            List.of(
                Map.entry("content-type", "application/x-www-form-urlencoded"),
                Map.entry("content-encoding", "gzip")),
            false);
    Decision d = Stages.join(pipeline.onRequestHeaders(pipeline.begin(), gz, WaitListener.NONE));
    assertRefused(d, RefusalCode.UNREADABLE_REQUEST, 400);
  }

  // --- step 4: destination

  @Test
  void aDestinationOutsideThePrefixesIsRefused403AndNothingIsReserved() {
    Decision d = send(pipeline, pipeline.begin(), sms(SECRET, "+442071838750", "hi"));
    assertRefused(d, RefusalCode.DESTINATION_NOT_ALLOWED, 403);
    assertThat(store.admits()).isZero();
    assertThat(store.reservations()).isEmpty();
  }

  // --- steps 6-8: reserve, forward with the real credential, settle at the actual price

  @Test
  void anAllowedCallIsReservedForwardedWithTheRealCredentialAndSettledAtItsPrice() {
    Exchange ex = pipeline.begin();
    Decision d = send(ex, sms(SECRET, US, "hi"));

    assertThat(d).isInstanceOf(Decision.Allow.class);
    RequestRewrite rw = ((Decision.Allow) d).rewrite();
    assertThat(rw.path())
        .hasValueSatisfying(p -> assertThat(p).contains(ACCOUNT).doesNotContain(SECRET));
    assertThat(rw.setHeaders())
        .contains(
            Map.entry(
                "authorization",
                "Basic "
                    + Base64.getEncoder().encodeToString((ACCOUNT + ":token").getBytes(UTF_8))));
    InMemoryStore.Reservation r = only(store.reservations());
    assertThat(r.state()).isEqualTo(InMemoryStore.State.RESERVED);
    assertThat(r.micros()).isPositive();
    assertThat(ex.awaitingResponse()).isTrue();

    ResponseAnnotations ann = respond(ex, 201, PRICED_201);

    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.SETTLED);
    assertThat(only(store.reservations()).micros()).isEqualTo(7_900);
    assertThat(ann.setHeaders())
        .contains(
            Map.entry("x-keybrake-spent-usd", "0.0079"),
            Map.entry("x-keybrake-remaining-usd", "0.9921"));
    AuditEntry row = audit.last();
    assertThat(row.decision()).isEqualTo("allowed");
    assertThat(row.settlement()).isEqualTo("settled");
    assertThat(row.actualMicros()).isEqualTo(7_900);
    assertThat(row.reservationId()).isEqualTo(r.id());
    assertThat(store.settledAtFinalPrice(r.id())).as("the vendor's own price").isTrue();
    assertThat(ex.awaitingResponse()).isFalse();
  }

  @Test
  void aResponseWithoutAPriceIsSettledAtTheEstimateWhichALaterPriceMayAdjust() {
    Exchange ex = pipeline.begin();
    send(ex, sms(SECRET, US, "hi"));
    InMemoryStore.Reservation r = only(store.reservations());

    // Twilio's usual answer to a new message: queued, priced later
    respond(ex, 201, "{\"sid\":\"SM" + "0".repeat(32) + "\",\"status\":\"queued\",\"price\":null}");

    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.SETTLED);
    assertThat(only(store.reservations()).micros()).isEqualTo(r.micros());
    assertThat(audit.last().settlement()).isEqualTo("estimated");
    assertThat(store.settledAtFinalPrice(r.id())).as("kept for the price to come").isFalse();
  }

  @Test
  void aFinishedExchangeIgnoresALateAbortSoItsTicketIsFinishedOnce() {
    Exchange ex = pipeline.begin();
    send(ex, sms(SECRET, US, "hi"));
    respond(ex, 201, PRICED_201);
    int rows = audit.entries().size();

    Stages.join(pipeline.onAbort(ex));
    assertThat(Stages.join(pipeline.onResponseBody(ex, new byte[0])))
        .isEqualTo(ResponseAnnotations.NONE);

    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.SETTLED);
    assertThat(audit.entries()).hasSize(rows);
  }

  // --- step 5: dedup

  @Test
  void aCompletedTwinIsReplayedVerbatimWithoutReservingAgain() {
    Exchange first = pipeline.begin();
    send(first, sms(SECRET, US, "same"));
    respond(first, 201, PRICED_201);

    Decision d = send(pipeline, pipeline.begin(), sms(SECRET, US, "same"));

    assertThat(d).isInstanceOf(Decision.Replay.class);
    assertThat(new String(((Decision.Replay) d).response().body(), UTF_8)).isEqualTo(PRICED_201);
    assertThat(store.reservations()).hasSize(1);
    assertThat(audit.last().decision()).isEqualTo("replayed");
  }

  @Test
  void aTwinInFlightIsWaitedForThenReplayed() throws Exception {
    Exchange first = pipeline.begin();
    send(first, sms(SECRET, US, "wait"));
    CountDownLatch waiting = new CountDownLatch(1);
    CompletableFuture<Decision> second =
        CompletableFuture.supplyAsync(
            () ->
                send(
                    pipeline,
                    pipeline.begin(),
                    sms(SECRET, US, "wait"),
                    upTo -> waiting.countDown()));
    assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();

    respond(first, 201, PRICED_201);

    assertThat(second.get(10, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);
    assertThat(store.reservations()).hasSize(1);
  }

  @Test
  void aTwinInFlightIsWaitedForWithoutHoldingTheCallersThread() throws Exception {
    Exchange first = pipeline.begin();
    send(first, sms(SECRET, US, "park"));
    Request r = sms(SECRET, US, "park");
    Exchange twin = pipeline.begin();
    assertThat(Stages.join(pipeline.onRequestHeaders(twin, r.head(), WaitListener.NONE)))
        .isInstanceOf(Decision.NeedBody.class);

    CompletableFuture<Decision> pending =
        pipeline.onRequestBody(twin, r.body(), WaitListener.NONE).toCompletableFuture();
    // the call returned to this thread while the original is still in flight
    assertThat(pending).isNotDone();

    respond(first, 201, PRICED_201);
    assertThat(pending.get(10, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);
    assertThat(store.reservations()).hasSize(1);
  }

  @Test
  void aTwinStillInFlightAfterTheWaitIsRefused409() {
    DecisionPipeline impatient =
        pipeline(new PipelineSettings(1 << 20, Duration.ZERO, Duration.ofSeconds(1)));
    send(impatient, impatient.begin(), sms(SECRET, US, "slow"));
    Decision d = send(impatient, impatient.begin(), sms(SECRET, US, "slow"));
    assertRefused(d, RefusalCode.DUPLICATE_IN_FLIGHT, 409);
    assertThat(store.reservations()).hasSize(1);
  }

  // --- step 6: the cap

  @Test
  void aSpentCapIsRefused429WithSpentAndCapAndNothingIsHeld() throws Exception {
    BudgetLimit daily = KeyBudgets.limitsFor(key, NOW).get(0);
    store.spend(daily, 999_999);

    Decision d = send(pipeline, pipeline.begin(), sms(SECRET, US, "hi"));

    assertRefused(d, RefusalCode.CAP_EXHAUSTED, 429);
    var body = new ObjectMapper().readTree(((Decision.Deny) d).response().body());
    assertThat(body.toString()).contains("spent_usd").contains("cap_usd");
    assertThat(((Decision.Deny) d).refusal().details())
        .containsEntry("budget", "key_daily")
        .containsKey("spent_usd")
        .containsKey("cap_usd");
    assertThat(store.reservations()).isEmpty();
    assertThat(audit.last().spentMicros()).isEqualTo(999_999);
  }

  // --- step 8: settlement by status

  @Test
  void aVendor4xxReleasesTheReservationAndLetsTheRetryThrough() {
    Exchange ex = pipeline.begin();
    send(ex, sms(SECRET, US, "retry"));
    respond(ex, 400, "{\"code\":21211,\"message\":\"bad To\"}");

    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.RELEASED);
    assertThat(audit.last().settlement()).isEqualTo("released");
    assertThat(send(pipeline, pipeline.begin(), sms(SECRET, US, "retry")))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void aCallThatNeverLeftIsReleased() {
    Exchange ex = pipeline.begin();
    send(ex, sms(SECRET, US, "hi"));
    pipeline.neverSent(ex);
    respond(ex, 503, "upstream connect error");
    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.RELEASED);
  }

  @Test
  void aVendor5xxKeepsTheSpendUnsettledButLetsARetryThrough() {
    Exchange ex = pipeline.begin();
    send(ex, sms(SECRET, US, "5xx"));
    respond(ex, 500, "oops");

    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.UNSETTLED);
    assertThat(audit.last().settlement()).isEqualTo("unsettled");
    assertThat(send(pipeline, pipeline.begin(), sms(SECRET, US, "5xx")))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void aStreamThatDiesAfterForwardingKeepsTheSpendAndBlocksTheRetry() {
    DecisionPipeline impatient =
        pipeline(new PipelineSettings(1 << 20, Duration.ZERO, Duration.ofSeconds(1)));
    Exchange ex = impatient.begin();
    send(impatient, ex, sms(SECRET, US, "died"));
    Stages.join(impatient.onAbort(ex));

    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.UNSETTLED);
    assertThat(audit.last().settlement()).isEqualTo("unsettled");
    assertRefused(
        send(impatient, impatient.begin(), sms(SECRET, US, "died")),
        RefusalCode.DUPLICATE_IN_FLIGHT,
        409);
  }

  // --- fail closed

  @Test
  void anUnreachableLedgerRefuses503AndForwardsNothing() {
    store.unavailable(true);
    Decision d = send(pipeline, pipeline.begin(), sms(SECRET, US, "hi"));
    assertRefused(d, RefusalCode.LEDGER_UNAVAILABLE, 503);
    assertThat(audit.last().decision()).isEqualTo("blocked");
    store.unavailable(false);
    assertThat(store.reservations()).isEmpty();
  }

  @Test
  void aSettlementTheStoreDoesNotTakeIsAuditedUnsettledAtTheEstimate() {
    Exchange ex = pipeline.begin();
    send(ex, sms(SECRET, US, "hi"));
    store.unavailable(true);

    ResponseAnnotations ann = respond(ex, 201, PRICED_201);

    assertThat(audit.last().settlement()).isEqualTo("unsettled");
    assertThat(audit.last().decision()).isEqualTo("allowed");
    assertThat(ann.setHeaders()).extracting(Map.Entry::getKey).contains("x-keybrake-spent-usd");
    store.unavailable(false);
    assertThat(only(store.reservations()).state()).isEqualTo(InMemoryStore.State.RESERVED);
  }

  @Test
  void anAuditLogThatCannotBeWrittenRefusesTheNextCall() {
    audit.unavailable(true);
    send(pipeline, pipeline.begin(), sms("vault_key_" + "Z".repeat(40), US, "hi")); // its row waits
    Decision d = send(pipeline, pipeline.begin(), sms(SECRET, US, "hi"));
    assertRefused(d, RefusalCode.LEDGER_UNAVAILABLE, 503);
    assertThat(store.reservations()).isEmpty();
  }

  // --- helpers

  private record Request(RequestHead head, byte[] body) {}

  private static Request sms(String secret, String to, String text) {
    String body = "To=" + to.replace("+", "%2B") + "&From=%2B15005550006&Body=" + text;
    return new Request(
        new RequestHead(
            "POST",
            "/2010-04-01/Accounts/" + secret + "/Messages.json",
            "api.twilio.com",
            List.of(Map.entry("content-type", "application/x-www-form-urlencoded")),
            false),
        body.getBytes(UTF_8));
  }

  private Decision send(Exchange ex, Request r) {
    return send(pipeline, ex, r, WaitListener.NONE);
  }

  private static Decision send(DecisionPipeline p, Exchange ex, Request r) {
    return send(p, ex, r, WaitListener.NONE);
  }

  private static Decision send(DecisionPipeline p, Exchange ex, Request r, WaitListener waits) {
    Decision d = Stages.join(p.onRequestHeaders(ex, r.head(), waits));
    if (!(d instanceof Decision.NeedBody)) {
      return d;
    }
    return Stages.join(p.onRequestBody(ex, r.body(), waits));
  }

  private ResponseAnnotations respond(Exchange ex, int status, String body) {
    ResponseAnnotations head =
        Stages.join(pipeline.onResponseHeaders(ex, status, Optional.of("application/json"), false));
    if (!head.bodyNeeded()) {
      return head;
    }
    return Stages.join(pipeline.onResponseBody(ex, body.getBytes(UTF_8)));
  }

  private static void assertRefused(Decision d, RefusalCode code, int status) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    Decision.Deny deny = (Decision.Deny) d;
    assertThat(deny.refusal().code()).isEqualTo(code);
    assertThat(deny.response().status()).isEqualTo(status);
    assertThat(new String(deny.response().body(), UTF_8)).doesNotContain(SECRET);
  }

  private static InMemoryStore.Reservation only(Map<String, InMemoryStore.Reservation> all) {
    assertThat(all).hasSize(1);
    return all.values().iterator().next();
  }

  private static Policy policy(String json) {
    try {
      PolicyParser.Parsed p =
          PolicyParser.parse(new ObjectMapper().readTree(json.replace('\'', '"')));
      return ((PolicyParser.Parsed.Ok) p).policy();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyRecord key(String id, String secret, Policy policy) {
    return new KeyRecord(
        id,
        "test",
        "twilio",
        Map.of(),
        policy,
        VaultKeys.hash(secret),
        new VendorCredential.Twilio(ACCOUNT, "token"),
        NOW.minusSeconds(60),
        Optional.empty(),
        Optional.empty());
  }
}
