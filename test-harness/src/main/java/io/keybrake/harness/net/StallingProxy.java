package io.keybrake.harness.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code StallingProxy} forwards TCP connections from a free port of 127.0.0.1 to a target, and can
 * hold back the target's answers for a while ({@link #stallAnswers(Duration)}): the bytes arrive
 * late but none is lost, the way a Redis behind a congested network looks to its client. Requests
 * keep flowing to the target meanwhile. Thread-safe; {@link #close()} drops every connection.
 */
public final class StallingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "stalling-proxy-timer");
            t.setDaemon(true);
            return t;
          });
  private final Object gate = new Object();
  private final AtomicLong answerBytes = new AtomicLong();
  private boolean stalled; // guarded by gate
  private volatile boolean closed;

  private StallingProxy(ServerSocket listener, InetSocketAddress target) {
    this.listener = listener;
    this.target = target;
  }

  /** A proxy to {@code 127.0.0.1:targetPort}, accepting connections now. */
  public static StallingProxy to(int targetPort) {
    try {
      ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      StallingProxy p =
          new StallingProxy(s, new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
      Thread acceptor = new Thread(p::acceptLoop, "stalling-proxy-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port clients connect to. */
  public int port() {
    return listener.getLocalPort();
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String redisUri() {
    return "redis://127.0.0.1:" + port();
  }

  /** Bytes of answers forwarded to clients so far. */
  public long answerBytes() {
    return answerBytes.get();
  }

  /**
   * Holds every answer from the target for {@code duration} from now, then delivers what was held,
   * in order.
   */
  public void stallAnswers(Duration duration) {
    synchronized (gate) {
      stalled = true;
    }
    timer.schedule(this::release, duration.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Holds every answer from the target until {@link #releaseAnswers()}. */
  public void holdAnswers() {
    synchronized (gate) {
      stalled = true;
    }
  }

  /** Delivers the answers held since {@link #holdAnswers()}, in order, and stops holding. */
  public void releaseAnswers() {
    release();
  }

  private void release() {
    synchronized (gate) {
      stalled = false;
      gate.notifyAll();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(target, 2_000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        pump(client, server, false);
        pump(server, client, true);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to, boolean answers) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  if (answers) {
                    awaitOpenGate();
                    answerBytes.addAndGet(n);
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // connection closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "stalling-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void awaitOpenGate() throws InterruptedException {
    synchronized (gate) {
      while (stalled && !closed) {
        gate.wait();
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing
    }
  }

  @Override
  public void close() {
    closed = true;
    release();
    timer.shutdownNow();
    try {
      listener.close();
    } catch (IOException e) {
      // closing
    }
    sockets.forEach(StallingProxy::closeQuietly);
  }
}
