package io.keybrake.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Trailers (when Envoy is configured to send them) get exactly one answer each, of the matching
 * type, so the stream stays in step.
 */
class TrailersTest {
  @Test
  void requestAndResponseTrailersAreAnsweredInKind() throws Exception {
    KeyStore unused =
        (KeyStore)
            Proxy.newProxyInstance(
                KeyStore.class.getClassLoader(),
                new Class<?>[] {KeyStore.class},
                (p, m, a) -> {
                  throw new AssertionError("not called");
                });
    Clock clock = Clock.systemUTC();
    DecisionPipeline pipeline =
        new DecisionPipeline(
            VendorRegistry.loadDefault(),
            new KeyCache(unused, clock, Duration.ofSeconds(1)),
            ProcessStreamFaultTest.notCalled(Ledger.class),
            ProcessStreamFaultTest.notCalled(Admission.class),
            ProcessStreamFaultTest.notCalled(AuditLog.class),
            new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
            clock,
            System::nanoTime,
            PipelineSettings.DEFAULTS);
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .addService(
                new KeybrakeExternalProcessor(
                    pipeline, new StreamMetrics(new SimpleMeterRegistry())))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      List<ProcessingResponse> answers = new CopyOnWriteArrayList<>();
      CountDownLatch two = new CountDownLatch(2);
      StreamObserver<ProcessingRequest> stream =
          ExternalProcessorGrpc.newStub(channel)
              .process(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ProcessingResponse r) {
                      answers.add(r);
                      two.countDown();
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                  });
      HttpTrailers trailers =
          HttpTrailers.newBuilder().setTrailers(HeaderMap.getDefaultInstance()).build();
      stream.onNext(ProcessingRequest.newBuilder().setRequestTrailers(trailers).build());
      stream.onNext(ProcessingRequest.newBuilder().setResponseTrailers(trailers).build());
      assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
      stream.onCompleted();

      assertThat(answers)
          .extracting(ProcessingResponse::getResponseCase)
          .containsExactly(
              ProcessingResponse.ResponseCase.REQUEST_TRAILERS,
              ProcessingResponse.ResponseCase.RESPONSE_TRAILERS);
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
