package io.keybrake.extproc.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Admit;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.pipeline.DecisionPipeline;
import io.keybrake.core.pipeline.PipelineSettings;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.testing.InMemoryAuditLog;
import io.keybrake.core.testing.InMemoryKeyStore;
import io.keybrake.core.testing.InMemoryStore;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.vendor.VendorRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stream whose decision is still pending in the store: what arrives meanwhile is answered after
 * it, in order; a stream cancelled meanwhile frees the admitted reservation exactly once.
 */
class ProcessStreamAsyncTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String SECRET = "vault_key_" + "A".repeat(40);
  private static final String ACCOUNT = "AC" + "0123456789abcdef".repeat(2);

  private final InMemoryStore store = new InMemoryStore();
  private final InMemoryAuditLog audit = new InMemoryAuditLog();

  /** Holds every admit until the test opens it, as a store that has not answered yet. */
  private final CompletableFuture<Void> storeAnswers = new CompletableFuture<>();

  private final Admission slowStore =
      new Admission() {
        @Override
        public CompletionStage<Admit> admit(
            String fingerprint, Instant dedupUntil, ReserveRequest request) {
          return storeAnswers.thenComposeAsync(v -> store.admit(fingerprint, dedupUntil, request));
        }

        @Override
        public CompletionStage<Void> awaitChange(String fingerprint, Duration maxWait) {
          return store.awaitChange(fingerprint, maxWait);
        }
      };

  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    InMemoryKeyStore keys = new InMemoryKeyStore();
    keys.create(key());
    DecisionPipeline pipeline =
        new DecisionPipeline(
            VendorRegistry.loadDefault(),
            new KeyCache(keys, clock, Duration.ZERO),
            store,
            slowStore,
            audit,
            new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
            clock,
            System::nanoTime,
            PipelineSettings.DEFAULTS);
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(
                new KeybrakeExternalProcessor(
                    pipeline, new StreamMetrics(new SimpleMeterRegistry())))
            .directExecutor()
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    storeAnswers.complete(null);
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void aMessageArrivingWhileTheDecisionIsPendingIsAnsweredAfterItInOrder() {
    Client client = new Client();
    client.send(headers());
    client.send(body());
    HttpTrailers trailers =
        HttpTrailers.newBuilder().setTrailers(HeaderMap.getDefaultInstance()).build();
    client.send(ProcessingRequest.newBuilder().setRequestTrailers(trailers).build());

    // the store has not answered: the body waits, and the trailers behind it
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> client.answers.size() == 1 && store.admits() == 0);
    assertThat(client.answers.get(0).getResponseCase())
        .isEqualTo(ProcessingResponse.ResponseCase.REQUEST_HEADERS);

    storeAnswers.complete(null);

    await().atMost(Duration.ofSeconds(5)).until(() -> client.answers.size() == 3);
    assertThat(client.answers)
        .extracting(ProcessingResponse::getResponseCase)
        .containsExactly(
            ProcessingResponse.ResponseCase.REQUEST_HEADERS,
            ProcessingResponse.ResponseCase.REQUEST_BODY,
            ProcessingResponse.ResponseCase.REQUEST_TRAILERS);
    // the body's answer is the allow: the credential swapped in
    assertThat(client.answers.get(1).getRequestBody().getResponse().getHeaderMutation().toString())
        .contains(ACCOUNT);
    assertThat(store.reservations()).hasSize(1);
  }

  @Test
  void aStreamCancelledWhileItsReservationIsPendingFreesItExactlyOnce() {
    Client client = new Client();
    client.send(headers());
    client.send(body());
    await().atMost(Duration.ofSeconds(5)).until(() -> client.answers.size() == 1);

    client.cancel(); // Envoy resets the stream while the store is still deciding
    storeAnswers.complete(null);

    // the reservation admitted after the cancel is freed as onAbort frees one: kept, unsettled
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(store.reservations().values())
                    .singleElement()
                    .extracting(InMemoryStore.Reservation::state)
                    .isEqualTo(InMemoryStore.State.UNSETTLED));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> audit.entries().stream().anyMatch(e -> "unsettled".equals(e.settlement())));
    assertThat(audit.entries()).filteredOn(e -> "unsettled".equals(e.settlement())).hasSize(1);
    assertThat(client.answers).hasSize(1); // nothing was answered after the cancel
  }

  /** A raw ext_proc stream, as Envoy drives it. */
  private final class Client {
    final List<ProcessingResponse> answers = new CopyOnWriteArrayList<>();
    final AtomicReference<ClientCallStreamObserver<ProcessingRequest>> requests =
        new AtomicReference<>();
    final AtomicBoolean ended = new AtomicBoolean();

    Client() {
      ExternalProcessorGrpc.newStub(channel)
          .process(
              new ClientResponseObserver<ProcessingRequest, ProcessingResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<ProcessingRequest> r) {
                  requests.set(r);
                }

                @Override
                public void onNext(ProcessingResponse r) {
                  if (!r.hasOverrideMessageTimeout()) {
                    answers.add(r);
                  }
                }

                @Override
                public void onError(Throwable t) {
                  ended.set(true);
                }

                @Override
                public void onCompleted() {
                  ended.set(true);
                }
              });
    }

    void send(ProcessingRequest r) {
      requests.get().onNext(r);
    }

    void cancel() {
      requests.get().cancel("client went away", null);
    }
  }

  private static ProcessingRequest headers() {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (Map.Entry<String, String> h :
        List.of(
            Map.entry(":method", "POST"),
            Map.entry(":path", "/2010-04-01/Accounts/" + SECRET + "/Messages.json"),
            Map.entry(":authority", "api.twilio.com"),
            Map.entry("content-type", "application/x-www-form-urlencoded"))) {
      map.addHeaders(HeaderCodec.encode(h.getKey(), h.getValue()));
    }
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(false))
        .build();
  }

  private static ProcessingRequest body() {
    return ProcessingRequest.newBuilder()
        .setRequestBody(
            HttpBody.newBuilder()
                .setBody(
                    ByteString.copyFrom(
                        "To=%2B14155552671&From=%2B15005550006&Body=hi".getBytes(UTF_8)))
                .setEndOfStream(true))
        .build();
  }

  private static KeyRecord key() {
    Policy policy;
    try {
      policy =
          ((PolicyParser.Parsed.Ok)
                  PolicyParser.parse(
                      new ObjectMapper()
                          .readTree(
                              "{\"daily_usd_cap\":1,\"allowed_prefixes\":[\"+1\"],"
                                  + "\"dedup_window_seconds\":60}")))
              .policy();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return new KeyRecord(
        "key_t1",
        "test",
        "twilio",
        Map.of(),
        policy,
        VaultKeys.hash(SECRET),
        new VendorCredential.Twilio(ACCOUNT, "token"),
        NOW.minusSeconds(60),
        Optional.empty(),
        Optional.empty());
  }
}
