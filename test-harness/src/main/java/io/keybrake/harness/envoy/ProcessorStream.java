package io.keybrake.harness.envoy;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One {@code ExternalProcessor.Process} stream, seen as a queue of what the processor did (answer,
 * close). Used by one exchange thread at a time; the queue is filled from gRPC threads.
 */
final class ProcessorStream {

  /** Something the processor did. */
  sealed interface Event permits Answer, Closed {}

  /** An answer. */
  record Answer(ProcessingResponse response) implements Event {}

  /** The processor ended the stream: OK for a clean close, else the gRPC error. */
  record Closed(Status status) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private ClientCallStreamObserver<ProcessingRequest> requests;
  private boolean closed;

  ProcessorStream(Channel channel) {
    ExternalProcessorGrpc.newStub(channel)
        .process(
            new ClientResponseObserver<ProcessingRequest, ProcessingResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<ProcessingRequest> observer) {
                requests = observer;
              }

              @Override
              public void onNext(ProcessingResponse value) {
                events.add(new Answer(value));
              }

              @Override
              public void onError(Throwable t) {
                events.add(new Closed(Status.fromThrowable(t)));
              }

              @Override
              public void onCompleted() {
                events.add(new Closed(Status.OK));
              }
            });
  }

  /** Sends one message; a no-op once the stream is closed locally. */
  void send(ProcessingRequest message) {
    if (!closed) {
      requests.onNext(message);
    }
  }

  /** The next event within {@code nanos}, or null. */
  Event poll(long nanos) throws InterruptedException {
    return events.poll(nanos, TimeUnit.NANOSECONDS);
  }

  /** The next event already received, or null. */
  Event pollNow() {
    return events.poll();
  }

  /**
   * Closes the stream as Envoy does: half-close, then reset (the processor sees CANCELLED if it has
   * not finished the call). Idempotent.
   */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      requests.onCompleted();
    } catch (IllegalStateException alreadyClosed) {
      // The call is already over; the reset below is then a no-op.
    }
    requests.cancel("ext_proc stream closed by Envoy", null);
  }
}
