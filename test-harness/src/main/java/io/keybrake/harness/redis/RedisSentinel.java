package io.keybrake.harness.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code RedisSentinel} is a Sentinel ({@code redis-server <conf> --sentinel}, the same binary as
 * {@link RedisServer}) on a free port of 127.0.0.1, monitoring one primary under a master name with
 * a quorum of 1 and a short down-after time, for tests of clients that find their primary through
 * Sentinel. Not thread-safe: one test drives it.
 */
public final class RedisSentinel implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final int port;
  private final String master;
  private final Process process;

  private RedisSentinel(int port, String master, Process process) {
    this.port = port;
    this.master = master;
    this.process = process;
  }

  /** Starts a Sentinel monitoring {@code 127.0.0.1:primaryPort} as {@code master}. */
  public static RedisSentinel start(String master, int primaryPort) {
    String binary = RedisServer.binary(System.getenv());
    int port = freePort();
    try {
      Path dir = Files.createTempDirectory("keybrake-sentinel");
      Path conf = dir.resolve("sentinel.conf");
      Files.writeString(
          conf,
          String.join(
              "\n",
              "port " + port,
              "bind 127.0.0.1",
              "protected-mode no",
              "dir " + dir,
              "sentinel monitor " + master + " 127.0.0.1 " + primaryPort + " 1",
              "sentinel down-after-milliseconds " + master + " 1000",
              "sentinel failover-timeout " + master + " 5000",
              ""));
      Process p =
          new ProcessBuilder(List.of(binary, conf.toString(), "--sentinel"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("sentinel.log").toFile())
              .start();
      RedisSentinel s = new RedisSentinel(port, master, p);
      s.awaitPing();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code redis-sentinel://127.0.0.1:<port>#<master>}. */
  public String uri() {
    return "redis-sentinel://127.0.0.1:" + port + "#" + master;
  }

  public int port() {
    return port;
  }

  /**
   * The sentinel's {@code INFO sentinel} line for its master, for example {@code
   * name=keybrake,status=ok,address=127.0.0.1:6379,slaves=1,sentinels=1}.
   */
  public String masterInfo() {
    for (String line : RedisServer.info(port, "sentinel").split("\r?\n")) {
      if (line.startsWith("master0:")) {
        return line.substring("master0:".length());
      }
    }
    return "";
  }

  /** The port of the primary the sentinel names now (changes with a failover). */
  public int primaryPort() {
    for (String field : masterInfo().split(",")) {
      if (field.startsWith("address=")) {
        return Integer.parseInt(field.substring(field.lastIndexOf(':') + 1));
      }
    }
    return -1;
  }

  private void awaitPing() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server --sentinel exited at start");
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        s.setSoTimeout(500);
        OutputStream out = s.getOutputStream();
        out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] buf = in.readNBytes(5);
        if (new String(buf, StandardCharsets.US_ASCII).startsWith("+PONG")) {
          return;
        }
      } catch (IOException e) {
        // not yet listening
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted while starting a sentinel", e);
      }
    }
    close();
    throw new IllegalStateException("the sentinel did not answer PING in " + START_TIMEOUT);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
