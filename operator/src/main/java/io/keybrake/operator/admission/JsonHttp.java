package io.keybrake.operator.admission;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Bounded request bodies in, text answers out, for the webhook and token exchange handlers. */
public final class JsonHttp {
  private JsonHttp() {}

  /** The body, or null when it is larger than {@code max} bytes. */
  public static byte[] readBody(Request request, int max) throws IOException {
    try (InputStream in = Request.asInputStream(request)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (out.size() + n > max) {
          return null;
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }

  public static void send(
      Response response, Callback callback, int status, String contentType, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }

  /** {@code {"code":…,"message":…}} with the status. */
  public static void error(
      Response response, Callback callback, int status, String code, String message) {
    com.fasterxml.jackson.databind.node.ObjectNode o =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    o.put("code", code);
    o.put("message", message);
    send(response, callback, status, "application/json", o.toString());
  }
}
