package io.keybrake.store.postgres;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code PostgresServer} is a PostgreSQL 16 child process on a free port of 127.0.0.1 with a fresh
 * data directory, trust authentication for user {@code postgres}, no durability ({@code fsync=off})
 * and a database {@code test}. PostgreSQL refuses to run as root: when the tests run as root (a CI
 * container) {@code initdb} and {@code postgres} run as {@code nobody} through {@code setpriv}.
 * {@link #close()} stops the server and deletes its data. Not thread-safe.
 */
final class PostgresServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path home;
  private final int port;
  private Process process;

  private PostgresServer(Path home, int port) {
    this.home = home;
    this.port = port;
  }

  /**
   * Unpacks the binaries if needed, creates a cluster and starts it; returns once {@code test}
   * exists.
   */
  static PostgresServer start() {
    Path binaries = PostgresBinaries.unpacked();
    Path home;
    try {
      home = Files.createTempDirectory("keybrake-postgres-data");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> asUser = runAsUser();
    Path data = home.resolve("data");
    initdb(binaries, data, asUser, home.resolve("initdb.log"));
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      PostgresServer server = new PostgresServer(home, freePort());
      try {
        server.launch(binaries, data, asUser);
        server.createDatabase("test");
        return server;
      } catch (IllegalStateException e) {
        server.stop();
        last = e; // most likely the port was taken between probing and binding: try another
      }
    }
    throw last;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>?user=postgres}. */
  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
  }

  @Override
  public void close() {
    stop();
    try {
      PostgresBinaries.deleteTree(home);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + home, e);
    }
  }

  private static void initdb(Path binaries, Path data, List<String> asUser, Path log) {
    List<String> command = new ArrayList<>(asUser);
    command.addAll(
        List.of(
            binaries.resolve("bin/initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync"));
    try {
      Files.createDirectories(data);
      if (!asUser.isEmpty()) {
        Files.setPosixFilePermissions(
            data.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setOwner(
            data,
            data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
      }
      Process initdb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!initdb.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        initdb.destroyForcibly();
        throw new IllegalStateException("initdb did not finish in " + START_TIMEOUT);
      }
      if (initdb.exitValue() != 0) {
        throw new IllegalStateException(
            "initdb failed: " + Files.readString(log, StandardCharsets.UTF_8).strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running initdb", e);
    }
  }

  private void launch(Path binaries, Path data, List<String> asUser) {
    List<String> command = new ArrayList<>(asUser);
    command.addAll(
        List.of(
            binaries.resolve("bin/postgres").toString(),
            "-D",
            data.toString(),
            "-p",
            Integer.toString(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=300",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off"));
    Path log = home.resolve("postgres-" + port + ".log");
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "postgres exited at start (port " + port + "): " + tail(log));
      }
      try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"))) {
        return;
      } catch (SQLException notYet) {
        // not accepting connections yet
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting postgres", e);
      }
    }
    throw new IllegalStateException(
        "postgres did not accept connections in " + START_TIMEOUT + ": " + tail(log));
  }

  private void createDatabase(String name) {
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"));
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
  }

  /** Fast shutdown (SIGINT: open sessions are ended), then kill -9 if it hangs. */
  private void stop() {
    if (process == null) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    process = null;
  }

  /** Nothing as a normal user; {@code setpriv} to {@code nobody} as root (initdb refuses root). */
  private static List<String> runAsUser() {
    if (new UnixSystem().getUid() != 0) {
      return List.of();
    }
    return List.of(
        "setpriv",
        "--reuid=" + idOfNobody("-u"),
        "--regid=" + idOfNobody("-g"),
        "--clear-groups",
        "--");
  }

  private static String idOfNobody(String which) {
    try {
      Process id = new ProcessBuilder("id", which, "nobody").redirectErrorStream(true).start();
      String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (id.waitFor() != 0 || !out.matches("\\d+")) {
        throw new IllegalStateException(
            "running as root and there is no user 'nobody' to run PostgreSQL as ("
                + out
                + "): "
                + "run the tests as a normal user or set "
                + TestPostgres.ENV);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String tail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8).strip();
      return text.length() > 2000 ? "…" + text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
