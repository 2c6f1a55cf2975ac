package io.keybrake.extproc.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's deadlines: a processor that does not answer a message within the message timeout
 * fails the call closed (504), one that asks for more time ({@code override_message_timeout}) gets
 * it, and a vendor that never answers ends in a 502 after the upstream timeout.
 */
class GatewayDeadlinesTest {
  private final List<AutoCloseable> closers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  @Test
  void aProcessorThatNeverAnswersFailsTheMessage504AfterItsTimeout() throws Exception {
    ExtProcCall call = call((request, out) -> {}, 200, 5_000);
    CompletableFuture<ProcessingResponse> answer = call.exchange(headers());

    assertThat(failureOf(answer))
        .isInstanceOfSatisfying(
            ExtProcFailure.class,
            f -> {
              assertThat(f.status()).isEqualTo(504);
              assertThat(f.getMessage()).contains("within the message timeout");
            });
    call.close();
    assertThat(call.getExpireNanoTime()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aProcessorThatAsksForMoreTimeIsWaitedFor() throws Exception {
    ExtProcCall call =
        call(
            (request, out) -> {
              out.onNext(
                  ProcessingResponse.newBuilder()
                      .setOverrideMessageTimeout(Duration.newBuilder().setSeconds(5))
                      .build());
              // answers well after the 200 ms message timeout, well before the 5 s it asked for
              CompletableFuture.delayedExecutor(800, TimeUnit.MILLISECONDS)
                  .execute(() -> out.onNext(refusal()));
            },
            200,
            10_000);
    long start = System.nanoTime();
    ProcessingResponse r = call.exchange(headers()).get(10, TimeUnit.SECONDS);

    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThan(700);
    assertThat(r.getImmediateResponse().getStatus().getCode()).isEqualTo(StatusCode.Forbidden);
    assertThat(call.getExpireNanoTime()).isEqualTo(Long.MAX_VALUE); // answered: nothing armed
    call.close();
  }

  @Test
  void theAskedForTimeIsCappedAtTheMaximum() throws Exception {
    ExtProcCall call =
        call(
            (request, out) ->
                out.onNext(
                    ProcessingResponse.newBuilder()
                        .setOverrideMessageTimeout(Duration.newBuilder().setSeconds(600))
                        .build()),
            200,
            400);
    CompletableFuture<ProcessingResponse> answer = call.exchange(headers());

    assertThat(failureOf(answer))
        .isInstanceOfSatisfying(ExtProcFailure.class, f -> assertThat(f.status()).isEqualTo(504));
    call.close();
  }

  @Test
  void aVendorThatNeverAnswersEndsIn502AfterTheUpstreamTimeout() throws Exception {
    ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closers.add(silent);
    List<Socket> accepted = new ArrayList<>();
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  accepted.add(silent.accept()); // reads nothing, answers nothing
                }
              } catch (java.io.IOException closed) {
                // the test is over
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
    UpstreamClient upstream =
        new UpstreamClient(
            new Upstreams(
                Map.of("twilio", URI.create("http://127.0.0.1:" + silent.getLocalPort()))),
            java.time.Duration.ofMillis(500));
    closers.add(upstream);
    GatewayExchange ex =
        new GatewayExchange(
            "POST",
            "/2010-04-01/Accounts/AC1/Messages.json",
            "api.twilio.com",
            "http",
            List.of(
                Map.entry("x-keybrake-vendor", "twilio"),
                Map.entry("content-type", "application/x-www-form-urlencoded")),
            "To=%2B15005550006".getBytes(StandardCharsets.UTF_8));

    HttpReply reply = upstream.forward(ex).get(10, TimeUnit.SECONDS);

    assertThat(reply.status()).isEqualTo(502);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .contains("the vendor could not be reached");
    assertThat(reply.headers()).noneMatch(h -> h.getKey().equals(UpstreamClient.NOT_SENT_HEADER));
  }

  /** What the fake processor does with each message it gets. */
  private interface Answering {
    void onMessage(ProcessingRequest request, StreamObserver<ProcessingResponse> out);
  }

  private ExtProcCall call(Answering answering, long timeoutMillis, long maxMillis)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    io.grpc.Server server =
        InProcessServerBuilder.forName(name)
            .addService(
                new ExternalProcessorGrpc.ExternalProcessorImplBase() {
                  @Override
                  public StreamObserver<ProcessingRequest> process(
                      StreamObserver<ProcessingResponse> out) {
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(ProcessingRequest value) {
                        answering.onMessage(value, out);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    };
                  }
                })
            .directExecutor()
            .build()
            .start();
    closers.add(server::shutdownNow);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    closers.add(channel::shutdownNow);
    return new ExtProcCall(
        ExternalProcessorGrpc.newStub(channel),
        java.time.Duration.ofMillis(timeoutMillis),
        java.time.Duration.ofMillis(maxMillis));
  }

  private static ProcessingRequest headers() {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(
            io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.newBuilder().setEndOfStream(true))
        .build();
  }

  private static ProcessingResponse refusal() {
    return ProcessingResponse.newBuilder()
        .setImmediateResponse(
            ImmediateResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden)))
        .build();
  }

  private static Throwable failureOf(CompletableFuture<?> stage)
      throws InterruptedException, TimeoutException {
    try {
      stage.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the stage completed normally");
  }
}
