package io.keybrake.extproc.gateway;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.CyclicTimeouts;

/**
 * The client side of one ext_proc {@code Process} stream, as Envoy drives it: send one message, get
 * its one answer within the message timeout (extended by {@code override_message_timeout} up to the
 * configured maximum), and at the end half-close then reset the stream. Asynchronous: {@link
 * #exchange} returns at once and its stage completes on whichever thread delivered the answer (with
 * direct executors, the processor's decision completing), or fails with {@link ExtProcFailure} (504
 * when the timeout passed, on the shared timer thread of {@link MessageDeadlines}). No thread
 * waits. One message at a time; thread-safe.
 */
final class ExtProcCall implements AutoCloseable, CyclicTimeouts.Expirable {

  private final Object lock = new Object();
  private final ClientCall<ProcessingRequest, ProcessingResponse> stream;
  private final Duration messageTimeout;
  private final Duration maxMessageTimeout;

  /** The answer awaited now, or null. */
  private CompletableFuture<ProcessingResponse> pending;

  /** {@link System#nanoTime()} by which the pending answer must come; MAX_VALUE when none. */
  private volatile long expireNanos = Long.MAX_VALUE;

  /** Why the stream can carry no more answers (the processor failed or closed it), or null. */
  private ExtProcFailure ended;

  private boolean closed;

  ExtProcCall(
      ExternalProcessorGrpc.ExternalProcessorStub stub,
      Duration messageTimeout,
      Duration maxMessageTimeout) {
    this.messageTimeout = messageTimeout;
    this.maxMessageTimeout = maxMessageTimeout;
    // a ClientCall rather than the stub's StreamObserver adapter: the adapter turns the close that
    // ends every stream (the reset below) into a StatusRuntimeException with a stack trace, about
    // 1 % of the gateway's CPU per call
    this.stream =
        stub.getChannel().newCall(ExternalProcessorGrpc.getProcessMethod(), stub.getCallOptions());
    stream.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(ProcessingResponse value) {
            stream.request(1);
            answered(value);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            if (closedHere()) {
              return; // our own reset at the end of the exchange
            }
            end(
                status.isOk()
                    ? new ExtProcFailure(500, "the processor closed the stream before answering")
                    : new ExtProcFailure(
                        500, "the processor failed: " + status.asRuntimeException().getMessage()));
          }
        },
        new Metadata());
    stream.request(1);
  }

  private boolean closedHere() {
    synchronized (lock) {
      return closed;
    }
  }

  /** Sends one message; the stage completes with its answer. */
  CompletableFuture<ProcessingResponse> exchange(ProcessingRequest request) {
    CompletableFuture<ProcessingResponse> answer = new CompletableFuture<>();
    synchronized (lock) {
      if (ended != null) {
        return CompletableFuture.failedFuture(ended);
      }
      if (pending != null) {
        throw new IllegalStateException("a message is already waiting for its answer");
      }
      pending = answer;
      arm(messageTimeout.toNanos());
    }
    try {
      stream.sendMessage(request); // with direct executors the answer may come before this returns
    } catch (RuntimeException e) {
      fail(answer, new ExtProcFailure(500, "the processor stream failed: " + e.getMessage()));
    }
    return answer;
  }

  private void answered(ProcessingResponse r) {
    CompletableFuture<ProcessingResponse> answer;
    synchronized (lock) {
      answer = pending;
      if (answer == null) {
        return; // an answer after its message timed out: the call already failed closed
      }
      if (r.hasOverrideMessageTimeout()
          && r.getResponseCase() == ProcessingResponse.ResponseCase.RESPONSE_NOT_SET) {
        long asked =
            Duration.ofSeconds(
                    r.getOverrideMessageTimeout().getSeconds(),
                    r.getOverrideMessageTimeout().getNanos())
                .toNanos();
        arm(Math.min(asked, maxMessageTimeout.toNanos()));
        return;
      }
      pending = null;
      disarm();
    }
    answer.complete(r);
  }

  private void end(ExtProcFailure why) {
    CompletableFuture<ProcessingResponse> answer;
    synchronized (lock) {
      if (ended == null) {
        ended = why;
      }
      answer = pending;
      pending = null;
      disarm();
    }
    if (answer != null) {
      answer.completeExceptionally(why);
    }
  }

  private void fail(CompletableFuture<ProcessingResponse> answer, ExtProcFailure why) {
    synchronized (lock) {
      if (pending != answer) {
        return;
      }
      pending = null;
      disarm();
    }
    answer.completeExceptionally(why);
  }

  /** (Re)starts the deadline of the pending answer. Holds the lock. */
  private void arm(long nanos) {
    long at = System.nanoTime() + nanos;
    expireNanos = at == Long.MAX_VALUE ? at - 1 : at; // MAX_VALUE means "no deadline"
    MessageDeadlines.SHARED.arm(this);
  }

  private void disarm() {
    if (expireNanos != Long.MAX_VALUE) {
      expireNanos = Long.MAX_VALUE;
      MessageDeadlines.SHARED.disarm(this);
    }
  }

  @Override
  public long getExpireNanoTime() {
    return expireNanos;
  }

  /**
   * Fails the pending answer (504) if its deadline has passed; true when this stream has no
   * deadline left to watch. Called by the timer.
   */
  boolean expire() {
    CompletableFuture<ProcessingResponse> answer;
    synchronized (lock) {
      if (expireNanos == Long.MAX_VALUE) {
        return true;
      }
      if (System.nanoTime() - expireNanos < 0) {
        return false; // re-armed since the timer looked
      }
      answer = pending;
      pending = null;
      expireNanos = Long.MAX_VALUE;
    }
    if (answer != null) {
      answer.completeExceptionally(
          new ExtProcFailure(504, "the processor did not answer within the message timeout"));
    }
    return true;
  }

  /** Half-closes then resets the stream, as Envoy ends every stream. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      disarm();
    }
    try {
      stream.halfClose();
    } catch (IllegalStateException ignored) {
      // already cancelled by the server's error
    }
    stream.cancel("exchange finished", null);
  }
}
