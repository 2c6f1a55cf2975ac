package io.keybrake.cli.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client for load generation: one persistent connection per thread, a blocking
 * write of the request and a read of the answer (Content-Length or chunked). It costs a fraction of
 * the JDK's {@code HttpClient} per request, so that the benchmark's clients, which share the
 * machine with the server, take less of it. Not a general client: no redirects, no TLS, no
 * pipelining.
 */
final class KeepAliveHttp {
  record Answer(int status, String body) {}

  private final int port;
  private final ThreadLocal<Connection> connections = new ThreadLocal<>();

  KeepAliveHttp(int port) {
    this.port = port;
  }

  /** Sends one request on this thread's connection (opening it if needed) and reads the answer. */
  Answer send(String method, String path, String adminKey, String body) throws IOException {
    Connection c = connections.get();
    // the server closes connections idle for long (Jetty: 30 s); open a fresh one rather than
    // send on a connection that may be half-closed
    if (c != null && (c.socket.isClosed() || System.nanoTime() - c.lastUsed > IDLE_NANOS)) {
      c.socket.close();
      c = null;
    }
    if (c == null) {
      c = new Connection(new Socket("127.0.0.1", port));
      connections.set(c);
    }
    try {
      Answer a = c.exchange(method, path, adminKey, body);
      c.lastUsed = System.nanoTime();
      return a;
    } catch (IOException e) {
      c.socket.close();
      connections.remove();
      throw e;
    }
  }

  private static final long IDLE_NANOS = 5_000_000_000L;

  private final class Connection {
    final Socket socket;
    final OutputStream out;
    final InputStream in;
    long lastUsed = System.nanoTime();

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(60_000);
      this.out = socket.getOutputStream();
      this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    }

    Answer exchange(String method, String path, String adminKey, String body) throws IOException {
      byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      String head =
          method
              + " "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1:"
              + port
              + "\r\nX-Admin-Key: "
              + adminKey
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + content.length
              + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(content);
      out.flush();
      String status = line();
      if (status == null) {
        throw new IOException("connection closed before the answer");
      }
      int code = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      boolean close = false;
      for (String h = line(); h != null && !h.isEmpty(); h = line()) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(lower.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        } else if (lower.startsWith("connection:") && lower.contains("close")) {
          close = true;
        }
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      if (chunked) {
        for (int size = Integer.parseInt(line().trim(), 16); size > 0; ) {
          answer.write(in.readNBytes(size));
          line();
          size = Integer.parseInt(line().trim(), 16);
        }
        line();
      } else if (length >= 0) {
        answer.write(in.readNBytes((int) length));
      }
      if (close) {
        socket.close();
      }
      return new Answer(code, answer.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
      StringBuilder b = new StringBuilder();
      for (int ch = in.read(); ch != -1; ch = in.read()) {
        if (ch == '\n') {
          int n = b.length();
          return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
        }
        b.append((char) ch);
      }
      return b.length() == 0 ? null : b.toString();
    }
  }
}
