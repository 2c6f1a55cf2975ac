package io.keybrake.cli.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client that sends a request exactly as given (repeated headers, any method, raw path,
 * conflicting framing headers), one connection per request, and reads the whole answer. For tests
 * of input a well-behaved client would never produce.
 */
final class RawHttp {
  private RawHttp() {}

  record Answer(int status, List<Map.Entry<String, String>> headers, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Sends the request. A {@code Content-Length} is added unless the headers carry their own {@code
   * Content-Length} or {@code Transfer-Encoding}.
   */
  static Answer send(
      int port, String method, String target, List<Map.Entry<String, String>> headers, byte[] body)
      throws IOException {
    boolean framed =
        headers.stream()
            .anyMatch(
                h ->
                    h.getKey().equalsIgnoreCase("content-length")
                        || h.getKey().equalsIgnoreCase("transfer-encoding"));
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(port).append("\r\n");
    head.append("Connection: close\r\n");
    for (Map.Entry<String, String> h : headers) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    if (!framed) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    req.write(head.toString().getBytes(StandardCharsets.UTF_8));
    req.write(body);
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(req.toByteArray());
      out.flush();
      return read(s.getInputStream());
    }
  }

  private static Answer read(InputStream in) throws IOException {
    byte[] all = in.readAllBytes();
    int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    if (end < 0) {
      throw new IOException("no complete answer: " + new String(all, StandardCharsets.UTF_8));
    }
    String[] lines = new String(all, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      headers.add(Map.entry(name, value));
      chunked |= name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked");
    }
    byte[] rest = java.util.Arrays.copyOfRange(all, end + 4, all.length);
    return new Answer(status, headers, chunked ? dechunk(rest) : rest);
  }

  private static byte[] dechunk(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < data.length) {
      int lineEnd =
          indexOf(java.util.Arrays.copyOfRange(data, i, data.length), new byte[] {'\r', '\n'});
      String size = new String(data, i, lineEnd, StandardCharsets.US_ASCII).split(";")[0].trim();
      int n = Integer.parseInt(size, 16);
      i += lineEnd + 2;
      if (n == 0) {
        break;
      }
      out.write(data, i, n);
      i += n + 2;
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
