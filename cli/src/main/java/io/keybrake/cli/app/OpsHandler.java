package io.keybrake.cli.app;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /metrics} (Prometheus text), {@code GET /healthz} (liveness: the process runs; always
 * 200) and {@code GET /readyz} (readiness: 200 when the ledger and the audit log can serve, else
 * 503 naming what it waits for, so a load balancer sends no traffic that would be refused 503).
 * Thread-safe.
 */
final class OpsHandler extends Handler.Abstract {
  private final Supplier<String> scrape;
  private final StoreBundle.Readiness readiness;

  /**
   * @param scrape the Prometheus text exposition of this process's metrics
   * @param readiness what the process still waits for before it can serve
   */
  OpsHandler(Supplier<String> scrape, StoreBundle.Readiness readiness) {
    this.scrape = scrape;
    this.readiness = readiness;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    if (!request.getMethod().equals("GET")) {
      return false;
    }
    String body;
    String type;
    int status = 200;
    switch (path) {
      case "/metrics" -> {
        body = scrape.get();
        type = "text/plain; version=0.0.4; charset=utf-8";
      }
      case "/healthz" -> {
        body = "{\"status\":\"ok\"}";
        type = "application/json";
      }
      case "/readyz" -> {
        java.util.List<String> waiting = readiness.waitingFor();
        status = waiting.isEmpty() ? 200 : 503;
        body =
            waiting.isEmpty()
                ? "{\"status\":\"ready\"}"
                : "{\"status\":\"not_ready\",\"waiting_for\":[\""
                    + String.join("\",\"", waiting)
                    + "\"]}";
        type = "application/json";
      }
      default -> {
        return false;
      }
    }
    response.setStatus(status);
    response.getHeaders().put("content-type", type);
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }
}
