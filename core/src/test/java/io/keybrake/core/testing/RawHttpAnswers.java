package io.keybrake.core.testing;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads HTTP/1.1 answers off a raw socket the test keeps open (keep-alive), for tests that check a
 * connection still serves after an answer: the head up to its blank line, then exactly the {@code
 * Content-Length} body. Shared by every module's tests through core's test-jar.
 */
public final class RawHttpAnswers {
  private RawHttpAnswers() {}

  /**
   * One whole answer, head and body, as text.
   *
   * @throws EOFException the connection closed before the head ended
   * @throws AssertionError the head has no {@code Content-Length}
   */
  public static String read(InputStream in) throws IOException {
    String head = readHead(in);
    return head + new String(in.readNBytes(contentLength(head)), StandardCharsets.UTF_8);
  }

  /**
   * The head of the next answer, up to and with its blank line (the body is left unread).
   *
   * @throws EOFException the connection closed before the head ended
   */
  public static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed after: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }

  /**
   * The {@code Content-Length} of an answer's head.
   *
   * @throws AssertionError the head has none
   */
  public static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring("content-length:".length()).strip());
      }
    }
    throw new AssertionError("no Content-Length in " + head);
  }
}
