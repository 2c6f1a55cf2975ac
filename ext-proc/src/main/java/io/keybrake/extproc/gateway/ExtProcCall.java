package io.keybrake.extproc.gateway;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The client side of one ext_proc {@code Process} stream, as Envoy drives it: send one message,
 * wait for its one answer within the message timeout (extended by {@code override_message_timeout}
 * up to the configured maximum), and at the end half-close then reset the stream. Used by one
 * request thread; not thread-safe.
 */
final class ExtProcCall implements AutoCloseable {
  private static final Object COMPLETED = new Object();

  private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final ClientCallStreamObserver<ProcessingRequest> stream;
  private final Duration messageTimeout;
  private final Duration maxMessageTimeout;
  private boolean closed;

  ExtProcCall(
      ExternalProcessorGrpc.ExternalProcessorStub stub,
      Duration messageTimeout,
      Duration maxMessageTimeout) {
    this.messageTimeout = messageTimeout;
    this.maxMessageTimeout = maxMessageTimeout;
    this.stream =
        (ClientCallStreamObserver<ProcessingRequest>)
            stub.process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse value) {
                    inbox.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    inbox.add(t);
                  }

                  @Override
                  public void onCompleted() {
                    inbox.add(COMPLETED);
                  }
                });
  }

  /** Sends one message and returns its answer. */
  ProcessingResponse exchange(ProcessingRequest request) throws ExtProcFailure {
    stream.onNext(request);
    long timeoutNanos = messageTimeout.toNanos();
    while (true) {
      Object next;
      try {
        next = inbox.poll(timeoutNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ExtProcFailure(500, "interrupted waiting for the processor");
      }
      if (next == null) {
        throw new ExtProcFailure(504, "the processor did not answer within the message timeout");
      }
      if (next instanceof Throwable t) {
        throw new ExtProcFailure(500, "the processor failed: " + t.getMessage());
      }
      if (next == COMPLETED) {
        throw new ExtProcFailure(500, "the processor closed the stream before answering");
      }
      ProcessingResponse r = (ProcessingResponse) next;
      if (r.hasOverrideMessageTimeout()
          && r.getResponseCase() == ProcessingResponse.ResponseCase.RESPONSE_NOT_SET) {
        long asked =
            Duration.ofSeconds(
                    r.getOverrideMessageTimeout().getSeconds(),
                    r.getOverrideMessageTimeout().getNanos())
                .toNanos();
        timeoutNanos = Math.min(asked, maxMessageTimeout.toNanos());
        continue;
      }
      return r;
    }
  }

  /** Half-closes then resets the stream, as Envoy ends every stream. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        stream.onCompleted();
      } catch (IllegalStateException ignored) {
        // already cancelled by the server's error
      }
      stream.cancel("exchange finished", null);
    }
  }
}
