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
 * {@code RedisServer} is a {@code redis-server} child process on a free port of 127.0.0.1, without
 * persistence ({@code --save "" --appendonly no}), for tests that must kill or flush their Redis.
 * {@link #kill()} is {@code kill -9}; {@link #restart()} starts a fresh, empty server on the same
 * port. Not thread-safe: one test drives it.
 */
public final class RedisServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final String binary;
  private final int port;
  private final Path dir;
  private final List<String> extraArgs;
  private Process process;

  private RedisServer(String binary, int port, Path dir) {
    this(binary, port, dir, List.of());
  }

  private RedisServer(String binary, int port, Path dir, List<String> extraArgs) {
    this.binary = binary;
    this.port = port;
    this.dir = dir;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /**
   * A server on a free port that is not started yet: nothing listens on {@link #port()} until
   * {@link #restart()} (for tests of a client that starts before its Redis).
   */
  public static RedisServer notStarted() {
    return new RedisServer(binary(), freePort(), tempDir());
  }

  private static String binary() {
    return binary(System.getenv());
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("keybrake-redis");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a server on a free port and waits until it answers {@code PING}. */
  public static RedisServer start() {
    String binary = binary();
    Path dir = tempDir();
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      RedisServer server = new RedisServer(binary, freePort(), dir);
      try {
        server.launch();
        return server;
      } catch (IllegalStateException e) {
        last = e; // the port was taken between probing and binding: try another
      }
    }
    throw last;
  }

  /**
   * Starts a replica of {@code primary} ({@code --replicaof}) on a free port and waits until it
   * answers {@code PING}; {@link #info(String)} says when it is in sync.
   */
  public static RedisServer startReplicaOf(RedisServer primary) {
    String binary = binary();
    Path dir = tempDir();
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      RedisServer server =
          new RedisServer(
              binary,
              freePort(),
              dir,
              List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
      try {
        server.launch();
        return server;
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  /** The text {@code INFO <section>} answers (for example {@code replication}). */
  public String info(String section) {
    return info(port, section);
  }

  /** The text {@code INFO <section>} answers at {@code 127.0.0.1:port} (a server or a sentinel). */
  static String info(int port, String section) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("INFO " + section + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder header = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        header.append((char) c);
      }
      if (header.length() == 0 || header.charAt(0) != '$') {
        throw new IllegalStateException("unexpected INFO answer: " + header.toString().trim());
      }
      int length = Integer.parseInt(header.substring(1).trim());
      return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port the server listens on (stays the same across restarts). */
  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Whether the child process is alive. */
  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** {@code kill -9} of the server; returns once the process is gone. */
  public void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server did not die");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing redis-server", e);
    }
    process = null;
  }

  /**
   * Stops the process without killing it ({@code kill -STOP}): connections stay open and commands
   * go unanswered until {@link #thaw()}, the way a hung or partitioned server looks to a client.
   */
  public void freeze() {
    signal("-STOP");
  }

  /** Resumes a {@link #freeze() frozen} server ({@code kill -CONT}). */
  public void thaw() {
    signal("-CONT");
  }

  /** Kills the server if it runs, then starts a new, empty one on the same port. */
  public void restart() {
    kill();
    launch();
  }

  /** Stops the server (kill -9: there is nothing to save). */
  @Override
  public void close() {
    kill();
  }

  private void launch() {
    List<String> command = new java.util.ArrayList<>();
    command.addAll(
        List.of(
            binary,
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            dir.toString(),
            "--protected-mode",
            "no"));
    command.addAll(extraArgs);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(dir.resolve("redis-" + port + ".log").toFile()));
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        process = null;
        throw new IllegalStateException("redis-server exited at start (port " + port + ")");
      }
      if (answersPing()) {
        return;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
    kill();
    throw new IllegalStateException("redis-server did not answer PING in " + START_TIMEOUT);
  }

  private void signal(String signal) {
    if (process == null) {
      throw new IllegalStateException("redis-server is not running");
    }
    try {
      Process kill =
          new ProcessBuilder("kill", signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling redis-server", e);
    }
  }

  private boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, buf.length);
      return new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The binary {@code KEYBRAKE_REDIS_SERVER} names, else {@code redis-server} on the {@code PATH};
   * a missing binary fails with how to get one.
   */
  static String binary(java.util.Map<String, String> env) {
    String named = env.get("KEYBRAKE_REDIS_SERVER");
    if (named != null && !named.isBlank()) {
      if (!Files.isExecutable(Path.of(named))) {
        throw new IllegalStateException(
            "KEYBRAKE_REDIS_SERVER=" + named + " is not an executable redis-server");
      }
      return named;
    }
    for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "redis-server"))) {
        return Path.of(dir, "redis-server").toString();
      }
    }
    throw new IllegalStateException(
        "these tests start their own redis-server and none is installed: "
            + "`apt-get install redis-server` (Debian/Ubuntu), `dnf install redis` (Fedora), "
            + "`brew install redis` (macOS), or set KEYBRAKE_REDIS_SERVER to its path");
  }
}
