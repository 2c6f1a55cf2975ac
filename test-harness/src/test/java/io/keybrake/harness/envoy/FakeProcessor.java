package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A scriptable in-process ExternalProcessor for tests. Each message received is handed to the
 * script, which answers (or not) on the stream's observer. Records what it received and how the
 * stream ended. Direct executors make delivery synchronous, so tests are deterministic.
 */
final class FakeProcessor extends ExternalProcessorGrpc.ExternalProcessorImplBase
    implements AutoCloseable {

  @FunctionalInterface
  interface Script {
    void onMessage(ProcessingRequest request, StreamObserver<ProcessingResponse> answers);
  }

  final List<ProcessingRequest> received = new CopyOnWriteArrayList<>();
  final CountDownLatch halfClosed = new CountDownLatch(1);
  final CountDownLatch cancelled = new CountDownLatch(1);
  final AtomicReference<Status> cancelStatus = new AtomicReference<>();
  private final Script script;
  private final Server server;
  final ManagedChannel channel;

  FakeProcessor(Script script) throws IOException {
    this(script, false);
  }

  /** With {@code network}, a real HTTP/2 gRPC server on an ephemeral loopback port. */
  FakeProcessor(Script script, boolean network) throws IOException {
    this.script = script;
    if (network) {
      server =
          Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
              .addService(this)
              .build()
              .start();
      channel =
          Grpc.newChannelBuilderForAddress(
                  "127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
              .build();
    } else {
      String name = InProcessServerBuilder.generateName();
      server =
          InProcessServerBuilder.forName(name).directExecutor().addService(this).build().start();
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> answers) {
    // The call's context is cancelled with the status the client's reset produced.
    Context.current()
        .addListener(
            context -> {
              cancelStatus.compareAndSet(null, io.grpc.Contexts.statusFromCancelled(context));
              cancelled.countDown();
            },
            Runnable::run);
    ((ServerCallStreamObserver<ProcessingResponse>) answers).setOnCancelHandler(() -> {});
    return new StreamObserver<>() {
      @Override
      public void onNext(ProcessingRequest request) {
        received.add(request);
        script.onMessage(request, answers);
      }

      @Override
      public void onError(Throwable t) {
        // Cancellation is observed through the call's context above.
      }

      @Override
      public void onCompleted() {
        halfClosed.countDown();
      }
    };
  }

  List<ProcessingRequest.RequestCase> receivedCases() {
    return received.stream().map(ProcessingRequest::getRequestCase).toList();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }
}
