package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The admin API on a real Jetty server on an ephemeral port, in front of a gateway stand-in that
 * counts what reaches it, with in-memory stores. One per test class.
 */
final class AdminServer implements AutoCloseable {
  static final String ADMIN_KEY = "admin-secret-for-tests-0123456789";
  static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  final InMemoryKeyStore keys = new InMemoryKeyStore();
  final InMemoryAuditLog audit = new InMemoryAuditLog();
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));

  /** Requests the admin API declined, which the local gateway would have served. */
  final AtomicInteger reachedGateway = new AtomicInteger();

  private final HttpClient http = HttpClient.newHttpClient();
  private final Server server;
  private final URI base;

  AdminServer() throws Exception {
    AdminApi api = new AdminApi(ADMIN_KEY, keys, new InMemoryLedger(), audit, clock, k -> {});
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(0);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Sequence(api, new GatewayStandIn()));
    server.start();
    base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  /** Sends a request; {@code headers} are name, value pairs. */
  HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends an admin request with the admin key and, with a body, a JSON content type. */
  HttpResponse<String> admin(String method, String path, String body) throws Exception {
    if (body == null) {
      return send(method, path, null, "X-Admin-Key", ADMIN_KEY);
    }
    return send(method, path, body, "X-Admin-Key", ADMIN_KEY, "Content-Type", "application/json");
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  List<AuditRecord> auditRows() {
    return audit.query(
        new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), AuditQuery.MAX_LIMIT));
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  /** What the local gateway would be: counts and answers 418 to what the admin API declines. */
  private final class GatewayStandIn extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      Content.Source.asString(request);
      reachedGateway.incrementAndGet();
      response.setStatus(418);
      Content.Sink.write(response, true, "gateway", callback);
      return true;
    }
  }
}
