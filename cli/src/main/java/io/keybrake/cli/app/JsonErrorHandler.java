package io.keybrake.cli.app;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty raises itself (a malformed request line, a bad header) get the same JSON shape as
 * every other Keybrake error, never an HTML page. Thread-safe.
 */
final class JsonErrorHandler extends ErrorHandler {
  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    String safe = message == null ? "bad request" : message.replaceAll("[^\\x20-\\x7e]", "?");
    String json =
        "{\"code\":\"bad_request\",\"message\":\""
            + safe.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\",\"status\":"
            + code
            + "}";
    response.getHeaders().put("content-type", "application/json");
    response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
