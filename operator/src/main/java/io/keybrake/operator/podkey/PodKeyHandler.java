package io.keybrake.operator.podkey;

import io.keybrake.operator.admission.JsonHttp;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code POST /k8s/pod-key} with {@code Authorization: Bearer <projected token>}: the answer
 * is the vault key as {@code text/plain} (what the init step writes to its file), with the key id
 * in {@code X-Keybrake-Key-Id}; refusals are {@code {"code","message"}}. Other paths are declined.
 * Thread-safe.
 */
public final class PodKeyHandler extends Handler.Abstract {
  public static final String PATH = "/k8s/pod-key";
  private static final Logger LOG = LoggerFactory.getLogger(PodKeyHandler.class);
  private static final int MAX_TOKEN_CHARS = 16 * 1024;

  private final PodKeyExchange exchange;

  public PodKeyHandler(PodKeyExchange exchange) {
    this.exchange = Objects.requireNonNull(exchange);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    if (!PATH.equals(Request.getPathInContext(request))) {
      return false;
    }
    if (!"POST".equals(request.getMethod())) {
      JsonHttp.error(response, callback, 405, "method_not_allowed", "POST with a bearer token");
      return true;
    }
    String auth = request.getHeaders().get("Authorization");
    if (auth == null
        || !auth.regionMatches(true, 0, "Bearer ", 0, 7)
        || auth.length() > MAX_TOKEN_CHARS) {
      JsonHttp.error(
          response, callback, 401, "token_missing", "send the projected token as a Bearer token");
      return true;
    }
    PodKeyExchange.Outcome outcome;
    try {
      outcome = exchange.exchange(auth.substring(7).trim());
    } catch (RuntimeException e) {
      LOG.warn("k8s: token exchange failed: {}", e.toString());
      JsonHttp.error(response, callback, 503, "unavailable", "try again");
      return true;
    }
    if (outcome instanceof PodKeyExchange.Outcome.Issued issued) {
      response.getHeaders().put("X-Keybrake-Key-Id", issued.key().id());
      JsonHttp.send(response, callback, 200, "text/plain", issued.vaultKey());
    } else {
      PodKeyExchange.Outcome.Refused r = (PodKeyExchange.Outcome.Refused) outcome;
      JsonHttp.error(response, callback, r.status(), r.code(), r.message());
    }
    return true;
  }
}
