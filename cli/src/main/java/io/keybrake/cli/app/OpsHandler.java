package io.keybrake.cli.app;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** {@code GET /metrics} (Prometheus text) and {@code GET /healthz}. Thread-safe. */
final class OpsHandler extends Handler.Abstract {
  private final Supplier<String> scrape;

  /**
   * @param scrape the Prometheus text exposition of this process's metrics
   */
  OpsHandler(Supplier<String> scrape) {
    this.scrape = scrape;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    if (!request.getMethod().equals("GET")) {
      return false;
    }
    String body;
    String type;
    switch (path) {
      case "/metrics" -> {
        body = scrape.get();
        type = "text/plain; version=0.0.4; charset=utf-8";
      }
      case "/healthz" -> {
        body = "{\"status\":\"ok\"}";
        type = "application/json";
      }
      default -> {
        return false;
      }
    }
    response.setStatus(200);
    response.getHeaders().put("content-type", type);
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }
}
