package io.keybrake.harness.envoy;

import io.grpc.Channel;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code EnvoyExtProcClient} drives an {@code envoy.service.ext_proc.v3.ExternalProcessor} the way
 * Envoy's ext_proc HTTP filter does, one HTTP exchange per {@link #exchange} call, so tests can
 * prove a processor works behind a real Envoy without running one.
 *
 * <p>Per exchange: one {@code Process} stream, opened on the first message; {@code request_headers}
 * (pseudo-headers {@code :method :path :authority :scheme} first, every value in {@code raw_value}
 * only, {@code end_of_stream} when bodyless); one answer awaited per message, in order, within
 * {@code message_timeout} (504 when late); the whole body in one {@code request_body} message when
 * there is one; the {@link Upstream}; then {@code response_headers} ({@code :status} first) and
 * {@code response_body}; finally half-close and reset. An {@code ImmediateResponse} ends processing
 * at once. Envoy's answers to a faulty processor are reproduced: a gRPC error gives 500, an invalid
 * header mutation (both {@code value} and {@code raw_value} set, bad characters, a refused mutation
 * under {@code disallow_is_error}) gives 500, a body mutation that contradicts {@code
 * content-length} gives 500, while a spurious answer (wrong type, unexpected, extra) or a clean
 * close of the stream makes Envoy stop talking to the processor and continue the request without
 * it, as Envoy does; {@link Trace} records all of it.
 *
 * <p>Thread-safe: exchanges are independent and may run concurrently on one channel.
 */
public final class EnvoyExtProcClient {
  private final Channel channel;
  private final ExtProcConfig config;

  public EnvoyExtProcClient(Channel channel, ExtProcConfig config) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** A client with {@link ExtProcConfig#defaults()}. */
  public EnvoyExtProcClient(Channel channel) {
    this(channel, ExtProcConfig.defaults());
  }

  /**
   * Envoy keeps its connection to the ext_proc cluster open; a fresh test channel must connect
   * first. So the message timer does not count connection setup, wait (up to 10 s) for a {@link
   * ManagedChannel} to be READY; if it never is, the exchange goes on and fails as Envoy would.
   */
  private void awaitConnected() throws InterruptedException {
    if (!(channel instanceof ManagedChannel managed)) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    ConnectivityState state = managed.getState(true);
    while (state != ConnectivityState.READY && System.nanoTime() < deadline) {
      CountDownLatch changed = new CountDownLatch(1);
      managed.notifyWhenStateChanged(state, changed::countDown);
      changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      state = managed.getState(true);
      if (state == ConnectivityState.TRANSIENT_FAILURE || state == ConnectivityState.SHUTDOWN) {
        return;
      }
    }
  }

  public ExtProcConfig config() {
    return config;
  }

  /**
   * Runs one exchange and returns what the downstream client sees, with the trace of the ext_proc
   * conversation.
   */
  public HttpResult exchange(HttpRequest request, Upstream upstream) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(upstream, "upstream");
    try {
      awaitConnected();
      return new Exchange(config, channel, request, upstream).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during an ext_proc exchange", e);
    }
  }
}
