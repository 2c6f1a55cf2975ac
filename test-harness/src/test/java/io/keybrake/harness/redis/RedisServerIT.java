package io.keybrake.harness.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RedisServerIT {

  @Test
  void startsOnAFreePortDiesOnKillAndComesBackEmptyOnTheSamePort() throws Exception {
    try (RedisServer server = RedisServer.start()) {
      assertThat(server.port()).isNotEqualTo(6379);
      assertThat(server.uri()).isEqualTo("redis://127.0.0.1:" + server.port());
      assertThat(send(server.port(), "SET k v\r\n")).isEqualTo("+OK");
      assertThat(send(server.port(), "EXISTS k\r\n")).isEqualTo(":1");

      server.kill();
      assertThat(server.isRunning()).isFalse();
      assertThatThrownBy(() -> send(server.port(), "PING\r\n")).isInstanceOf(IOException.class);

      server.restart();
      assertThat(server.isRunning()).isTrue();
      assertThat(send(server.port(), "EXISTS k\r\n")).as("no persistence").isEqualTo(":0");
    }
  }

  @Test
  void frozenServerKeepsConnectionsButDoesNotAnswer() throws Exception {
    try (RedisServer server = RedisServer.start()) {
      server.freeze();
      try {
        assertThatThrownBy(() -> send(server.port(), "PING\r\n"))
            .isInstanceOf(SocketTimeoutException.class);
      } finally {
        server.thaw();
      }
      assertThat(send(server.port(), "PING\r\n")).isEqualTo("+PONG");
    }
  }

  private static String send(int port, String command) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(500);
      s.getOutputStream().write(command.getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\r') {
        line.append((char) c);
      }
      return line.toString();
    }
  }
}
