package io.keybrake.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keybrake.core.admission.Admission;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.pipeline.DecisionPipeline;
import io.keybrake.core.pipeline.PipelineSettings;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fault inside the processor (a bug, not a refusal) ends the stream with a gRPC error status, so
 * Envoy fails closed with 500; it never leaves a message unanswered or forwards the call.
 */
class ProcessStreamFaultTest {
  private Server server;
  private ManagedChannel channel;
  private final AtomicInteger upstreamCalls = new AtomicInteger();
  private StreamMetrics metrics;

  /** A store port that fails the test if any of its methods is called. */
  @SuppressWarnings("unchecked")
  static <T> T notCalled(Class<T> type) {
    return (T)
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (proxy, method, args) -> {
              throw new AssertionError(type.getSimpleName() + "." + method.getName() + " called");
            });
  }

  @BeforeEach
  void start() throws Exception {
    Clock clock = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
    KeyStore broken =
        (KeyStore)
            Proxy.newProxyInstance(
                KeyStore.class.getClassLoader(),
                new Class<?>[] {KeyStore.class},
                (proxy, method, args) -> {
                  throw new IllegalStateException("a bug in the key store");
                });
    DecisionPipeline pipeline =
        new DecisionPipeline(
            VendorRegistry.loadDefault(),
            new KeyCache(broken, clock, java.time.Duration.ofSeconds(1)),
            notCalled(Ledger.class),
            notCalled(Admission.class),
            notCalled(AuditLog.class),
            new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
            clock,
            System::nanoTime,
            PipelineSettings.DEFAULTS);
    metrics = new StreamMetrics(new SimpleMeterRegistry());
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new KeybrakeExternalProcessor(pipeline, metrics))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void processorFaultIsAGrpcErrorAndEnvoyAnswers500WithoutForwarding() {
    String vault = "vault_key_" + "B".repeat(40);
    HttpRequest req =
        new HttpRequest(
            "POST",
            "/2010-04-01/Accounts/" + vault + "/Messages.json",
            "api.twilio.com",
            "https",
            List.of(Map.entry("content-type", "application/x-www-form-urlencoded")),
            "To=%2B14155552671&Body=hi".getBytes(StandardCharsets.UTF_8));

    HttpResult r =
        new EnvoyExtProcClient(channel)
            .exchange(
                req,
                forwarded -> {
                  upstreamCalls.incrementAndGet();
                  return HttpResult.of(201, List.of(), "{}");
                });

    assertThat(r.status()).isEqualTo(500);
    assertThat(r.trace().localError()).isPresent();
    assertThat(r.trace().spurious()).isFalse();
    assertThat(upstreamCalls).hasValue(0);
  }
}
