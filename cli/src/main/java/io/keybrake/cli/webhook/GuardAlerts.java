package io.keybrake.cli.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.guard.GuardEvents;
import io.keybrake.core.key.KeyRecord;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The webhook of a tripped loop guard ({@code loop_action} {@code alert} or {@code suspend}): one
 * signed POST ({@link WebhookSignature}, as the budget webhooks) per tripped counter — once per
 * key, rule, destination and window — to the global webhook targets, retried with backoff (3
 * attempts), deliveries counted in {@code keybrake_webhook_deliveries_total}. Kept in memory only:
 * a restart forgets which trips were sent (a loop that goes on trips again and is sent again).
 * Wraps the metric's events. Thread-safe.
 */
public final class GuardAlerts implements GuardEvents, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ATTEMPTS = 3;
  private static final int MAX_REMEMBERED = 10_000;

  private final GuardEvents inner;
  private final List<URI> targets;
  private final String secret;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Set<String> sent = ConcurrentHashMap.newKeySet();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "keybrake-guard-alerts");
            t.setDaemon(true);
            return t;
          });

  public GuardAlerts(
      GuardEvents inner, List<URI> targets, String secret, Clock clock, MeterRegistry registry) {
    this.inner = inner;
    this.targets = List.copyOf(targets);
    this.secret = secret;
    this.clock = clock;
    this.registry = registry;
  }

  @Override
  public void tripped(KeyRecord key, String rule, String action, String counterId) {
    inner.tripped(key, rule, action, counterId);
    if (targets.isEmpty() || action.equals("shadow") || !remember(counterId)) {
      return;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("type", action.equals("suspend") ? "key_suspended" : "loop_guard_tripped");
    body.put("rule", rule);
    body.put("action", action);
    body.put("reason", "loop_detected");
    body.put("key_id", key.id());
    body.put("key_name", key.name());
    ObjectNode labels = body.putObject("labels");
    key.labels().forEach(labels::put);
    body.put("at", clock.instant().toString());
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    String eventId = "guard_" + digest(counterId);
    for (URI target : targets) {
      scheduler.execute(() -> attempt(target, eventId, bytes, 1));
    }
  }

  private boolean remember(String counterId) {
    if (sent.size() >= MAX_REMEMBERED) {
      sent.clear(); // old windows; a trip still going on is sent again
    }
    return sent.add(counterId);
  }

  private void attempt(URI target, String eventId, byte[] body, int attempt) {
    if (post(target, eventId, body)) {
      count("delivered");
      return;
    }
    count("failed_attempt");
    if (attempt >= ATTEMPTS) {
      count("gave_up");
      return;
    }
    if (!scheduler.isShutdown()) {
      scheduler.schedule(
          () -> attempt(target, eventId, body, attempt + 1),
          500L << attempt,
          TimeUnit.MILLISECONDS);
    }
  }

  private boolean post(URI target, String eventId, byte[] body) {
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("User-Agent", "keybrake-webhook/1")
            .header("X-Keybrake-Event-Id", eventId)
            .header(
                WebhookSignature.HEADER,
                WebhookSignature.header(secret, clock.instant().getEpochSecond(), body))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    try {
      int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      return status >= 200 && status < 300;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void count(String outcome) {
    registry.counter("keybrake_webhook_deliveries", "outcome", outcome).increment();
  }

  private static String digest(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)),
              0,
              12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
