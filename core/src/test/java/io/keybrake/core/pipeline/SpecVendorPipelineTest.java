package io.keybrake.core.pipeline;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.testing.InMemoryAuditLog;
import io.keybrake.core.testing.InMemoryKeyStore;
import io.keybrake.core.testing.InMemoryStore;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.core.vendor.VendorSpecParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Vendors defined only by a spec, through {@link DecisionPipeline}: the media type an endpoint's
 * body format accepts (form, JSON, or either per request), and the dedup fingerprint, which leaves
 * out the path segments the spec fills with a credential field.
 */
class SpecVendorPipelineTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String JSON = "application/json";

  /** A test-only vendor: its account id is a path segment the gateway fills, like Twilio's. */
  private static final String ACME =
      """
      id: acmesms
      upstream: https://api.acmesms.test
      key_presentation: [BEARER, PATH_SEGMENT]
      key_path_variable: Account
      credential:
        - {name: account_id, secret: false, inject: ["path:Account"]}
        - {name: api_token, secret: true, inject: [bearer]}
      forward_headers: [content-type]
      endpoints:
        - name: sms.send
          method: POST
          path: /v1/accounts/{Account}/sms
          body: FORM_OR_JSON
          cost:
            rule: SMS_SEGMENTS
            price_usd: "0.01"
            destination: to
            destination_kind: PHONE
            plus_optional: true
            text: text
      """;

  private static final String ACME_ACCOUNT = "acct-4242";
  private static final String ACME_SECRET = "vault_key_" + "A".repeat(40);
  private static final String VONAGE_SECRET = "vault_key_" + "B".repeat(40);
  private static final String TWILIO_SECRET = "vault_key_" + "C".repeat(40);
  private static final String RESEND_SECRET = "vault_key_" + "D".repeat(40);

  private final MutableClock clock = new MutableClock(NOW);
  private final InMemoryKeyStore keys = new InMemoryKeyStore();
  private final InMemoryStore store = new InMemoryStore();
  private final InMemoryAuditLog audit = new InMemoryAuditLog();
  private final DecisionPipeline pipeline;

  SpecVendorPipelineTest() throws Exception {
    VendorRegistry vendors =
        VendorRegistry.loadDefault().withSpecs(List.of(parse(ACME, "acme.yaml"), vonageSpec()));
    pipeline =
        new DecisionPipeline(
            vendors,
            new KeyCache(keys, clock, Duration.ZERO),
            store,
            store,
            audit,
            new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
            clock,
            System::nanoTime,
            PipelineSettings.DEFAULTS);
    keys.create(
        key(
            "key_acme",
            "acmesms",
            ACME_SECRET,
            new VendorCredential.Fields(
                Map.of("account_id", ACME_ACCOUNT, "api_token", "acme-token"))));
    keys.create(
        key(
            "key_vonage",
            "vonage",
            VONAGE_SECRET,
            new VendorCredential.Fields(
                Map.of("api_key", "a1b2c3d4", "api_secret", "vonage-secret"))));
    keys.create(
        key(
            "key_twilio",
            "twilio",
            TWILIO_SECRET,
            new VendorCredential.Twilio("AC" + "0123456789abcdef".repeat(2), "token")));
    keys.create(key("key_resend", "resend", RESEND_SECRET, new VendorCredential.ApiKey("re_123")));
  }

  // --- the dedup fingerprint blanks the credential path segments the spec names

  @Test
  void callsThatDifferOnlyInTheCredentialPathSegmentAreOneCallAndTheRetryIsReplayed() {
    String body = "to=447700900123&text=same";
    Request bearer =
        new Request(
            head("/v1/accounts/whatever/sms", "Bearer " + ACME_SECRET, FORM, "api.acmesms.test"),
            body);
    Request inPath =
        new Request(
            head("/v1/accounts/" + ACME_SECRET + "/sms", null, FORM, "api.acmesms.test"), body);

    Exchange first = pipeline.begin();
    Decision d = send(first, bearer);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    assertThat(((Decision.Allow) d).rewrite().path()).contains("/v1/accounts/acct-4242/sms");
    respond(first, 200, "{\"id\":\"msg-1\"}");

    Decision retry = send(pipeline.begin(), inPath);

    assertThat(retry).isInstanceOf(Decision.Replay.class);
    assertThat(new String(((Decision.Replay) retry).response().body(), UTF_8))
        .isEqualTo("{\"id\":\"msg-1\"}");
    assertThat(store.reservations()).hasSize(1);
    assertThat(audit.last().decision()).isEqualTo("replayed");
  }

  @Test
  void aCallWithAnotherBodyIsNotTheSameCall() {
    Exchange first = pipeline.begin();
    send(first, acme("/v1/accounts/x/sms", FORM, "to=447700900123&text=one"));
    respond(first, 200, "{\"id\":\"msg-1\"}");

    Decision other =
        send(pipeline.begin(), acme("/v1/accounts/x/sms", FORM, "to=447700900123&text=two"));

    assertThat(other).isInstanceOf(Decision.Allow.class);
    assertThat(store.reservations()).hasSize(2);
  }

  // --- FORM_OR_JSON: the encoding per request, by Content-Type

  @Test
  void formOrJsonTakesEitherEncodingAndPricesThemTheSame() {
    Decision form = send(pipeline.begin(), vonage(FORM, "from=Acme&to=447700900123&text=hi"));
    Decision json =
        send(
            pipeline.begin(),
            vonage(
                "application/json; charset=utf-8",
                "{\"from\":\"Acme\",\"to\":\"447700900124\",\"text\":\"hi\"}"));

    assertThat(form).isInstanceOf(Decision.Allow.class);
    assertThat(json).isInstanceOf(Decision.Allow.class);
    assertThat(store.reservations().values())
        .extracting(InMemoryStore.Reservation::micros)
        .containsExactly(50_000L, 50_000L); // one segment to GB, the spec's price
    // forwarded as sent: the gateway does not re-encode it
    assertThat(((Decision.Allow) json).rewrite().body()).isEmpty();
  }

  @Test
  void formOrJsonRefusesAnyOtherOrAMissingMediaTypeNamingBoth() {
    List<Decision> refused = new ArrayList<>();
    for (String type : new String[] {"text/plain", "application/jsonp", null}) {
      refused.add(send(pipeline.begin(), vonage(type, "from=Acme&to=447700900123&text=hi")));
    }

    assertThat(refused)
        .allSatisfy(
            d -> {
              assertRefused(d, RefusalCode.UNREADABLE_REQUEST);
              assertThat(((Decision.Deny) d).refusal().message())
                  .contains("takes Content-Type " + FORM + " or " + JSON);
            });
    assertThat(store.reservations()).isEmpty();
  }

  @Test
  void formOrJsonRefusesJsonThatIsNotAnObjectOrHoldsAnArrayInARuleField() {
    Decision notJson = send(pipeline.begin(), vonage(JSON, "from=Acme&to=447700900123&text=hi"));
    Decision array =
        send(
            pipeline.begin(),
            vonage(JSON, "{\"from\":\"Acme\",\"to\":[\"447700900123\"],\"text\":\"hi\"}"));

    assertRefused(notJson, RefusalCode.UNREADABLE_REQUEST);
    assertRefused(array, RefusalCode.UNREADABLE_REQUEST);
    assertThat(((Decision.Deny) array).refusal().message())
        .contains("field 'to' must be a string or a whole number, not a JSON array");
    assertThat(store.reservations()).isEmpty();
  }

  // --- FORM-only and JSON-only endpoints refuse the other media type

  @Test
  void aFormEndpointRefusesJsonAndAJsonEndpointRefusesAForm() {
    Decision twilioJson =
        send(
            pipeline.begin(),
            new Request(
                head(
                    "/2010-04-01/Accounts/" + TWILIO_SECRET + "/Messages.json",
                    null,
                    JSON,
                    "api.twilio.com"),
                "{\"To\":\"+14155552671\",\"From\":\"+15005550006\",\"Body\":\"hi\"}"));
    Decision resendForm =
        send(
            pipeline.begin(),
            new Request(
                head("/emails", "Bearer " + RESEND_SECRET, FORM, "api.resend.com"),
                "from=a%40example.com&to=b%40example.com&subject=hi&text=hi"));

    assertRefused(twilioJson, RefusalCode.UNREADABLE_REQUEST);
    assertThat(((Decision.Deny) twilioJson).refusal().message())
        .contains("takes Content-Type " + FORM + ", not '" + JSON + "'");
    assertRefused(resendForm, RefusalCode.UNREADABLE_REQUEST);
    assertThat(((Decision.Deny) resendForm).refusal().message())
        .contains("takes Content-Type " + JSON + ", not '" + FORM + "'");
    assertThat(store.reservations()).isEmpty();
  }

  // --- helpers

  private record Request(RequestHead head, String body) {}

  private static Request acme(String path, String type, String body) {
    return new Request(head(path, "Bearer " + ACME_SECRET, type, "api.acmesms.test"), body);
  }

  private static Request vonage(String type, String body) {
    String basic =
        "Basic " + Base64.getEncoder().encodeToString((VONAGE_SECRET + ":x").getBytes(UTF_8));
    return new Request(head("/sms/json", basic, type, "rest.nexmo.com"), body);
  }

  private static RequestHead head(String path, String auth, String type, String host) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (auth != null) {
      headers.add(Map.entry("authorization", auth));
    }
    if (type != null) {
      headers.add(Map.entry("content-type", type));
    }
    return new RequestHead("POST", path, host, headers, false);
  }

  private Decision send(Exchange ex, Request r) {
    Decision d =
        pipeline.onRequestHeaders(ex, r.head(), WaitListener.NONE).toCompletableFuture().join();
    if (!(d instanceof Decision.NeedBody)) {
      return d;
    }
    return pipeline
        .onRequestBody(ex, r.body().getBytes(UTF_8), WaitListener.NONE)
        .toCompletableFuture()
        .join();
  }

  private void respond(Exchange ex, int status, String body) {
    ResponseAnnotations head =
        pipeline
            .onResponseHeaders(ex, status, Optional.of("application/json"), false)
            .toCompletableFuture()
            .join();
    if (head.bodyNeeded()) {
      pipeline.onResponseBody(ex, body.getBytes(UTF_8)).toCompletableFuture().join();
    }
  }

  private static void assertRefused(Decision d, RefusalCode code) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).refusal().code()).isEqualTo(code);
  }

  private static VendorSpec parse(String yaml, String source) {
    return VendorSpecParser.parse(new ByteArrayInputStream(yaml.getBytes(UTF_8)), source);
  }

  private static VendorSpec vonageSpec() throws Exception {
    Path p = Path.of("..", "docs", "vendors", "vonage.yaml");
    try (InputStream in = Files.newInputStream(p)) {
      return VendorSpecParser.parse(in, p.toString());
    }
  }

  private static KeyRecord key(
      String id, String vendor, String secret, VendorCredential credential) {
    return new KeyRecord(
        id,
        "test",
        vendor,
        Map.of(),
        policy("{'daily_usd_cap':1,'dedup_window_seconds':60}"),
        VaultKeys.hash(secret),
        credential,
        NOW.minusSeconds(60),
        Optional.empty(),
        Optional.empty());
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
}
