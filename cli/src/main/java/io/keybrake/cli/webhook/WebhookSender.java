package io.keybrake.cli.webhook;

import io.keybrake.core.notify.ThresholdEvent;
import io.keybrake.core.notify.ThresholdStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers threshold events: a signed POST to each target, retried with exponential backoff on a
 * non-2xx answer or a transport error, until every target took it or the attempts run out. The
 * event is marked delivered in the {@link ThresholdStore} when every target took it. Failures are
 * counted ({@code keybrake_webhook_deliveries_total{outcome}}), not logged one by one. Thread-safe.
 */
final class WebhookSender {
  private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);

  /** Retry policy: attempts in all, first delay, cap of the delay, per-request timeout. */
  record Retry(int maxAttempts, Duration firstDelay, Duration maxDelay, Duration timeout) {
    static final Retry DEFAULTS =
        new Retry(8, Duration.ofSeconds(1), Duration.ofMinutes(2), Duration.ofSeconds(10));

    Duration delayBefore(int attempt) {
      long factor = 1L << Math.min(20, attempt - 2);
      Duration d = firstDelay.multipliedBy(factor);
      return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }
  }

  private final ThresholdStore store;
  private final String secret;
  private final boolean slack;
  private final Clock clock;
  private final Retry retry;
  private final ScheduledExecutorService scheduler;
  private final HttpClient http;
  private final AtomicInteger pending = new AtomicInteger();
  private final Counter delivered;
  private final Counter failedAttempts;
  private final Counter gaveUp;

  WebhookSender(
      ThresholdStore store,
      String secret,
      boolean slack,
      Clock clock,
      Retry retry,
      ScheduledExecutorService scheduler,
      MeterRegistry registry) {
    this.store = store;
    this.secret = secret;
    this.slack = slack;
    this.clock = clock;
    this.retry = retry;
    this.scheduler = scheduler;
    this.http = HttpClient.newBuilder().connectTimeout(retry.timeout()).build();
    String name = "keybrake_webhook_deliveries";
    String help =
        "Budget webhook POSTs by outcome: delivered (2xx), failed_attempt (non-2xx or transport"
            + " error, retried), gave_up (attempts exhausted)";
    delivered =
        Counter.builder(name).description(help).tag("outcome", "delivered").register(registry);
    failedAttempts =
        Counter.builder(name).description(help).tag("outcome", "failed_attempt").register(registry);
    gaveUp = Counter.builder(name).description(help).tag("outcome", "gave_up").register(registry);
    Gauge.builder("keybrake_webhook_pending_events", pending, AtomicInteger::get)
        .description("Budget threshold events whose webhook is not delivered yet")
        .register(registry);
  }

  /** Starts delivering {@code event} to {@code targets} (first attempt now). */
  void send(ThresholdEvent event, List<URI> targets) {
    pending.incrementAndGet();
    scheduler.execute(() -> attempt(event, new ArrayList<>(targets), 1));
  }

  private void attempt(ThresholdEvent event, List<URI> remaining, int attempt) {
    byte[] body = WebhookBody.of(event, slack);
    List<URI> failed = new ArrayList<>();
    for (URI target : remaining) {
      if (post(event, target, body)) {
        delivered.increment();
      } else {
        failedAttempts.increment();
        failed.add(target);
      }
    }
    if (failed.isEmpty()) {
      try {
        store.delivered(event.id(), clock.instant());
      } catch (RuntimeException e) {
        log.debug("could not mark {} delivered: {}", event.id(), e.getMessage());
      } finally {
        pending.decrementAndGet();
      }
      return;
    }
    try {
      store.attempted(event.id(), attempt);
    } catch (RuntimeException e) {
      log.debug("could not count an attempt of {}: {}", event.id(), e.getMessage());
    }
    if (attempt >= retry.maxAttempts()) {
      pending.decrementAndGet();
      gaveUp.increment();
      log.info(
          "budget webhook {} ({} % of {}) not delivered after {} attempts; it is retried at the"
              + " next start",
          event.id(), event.percent(), event.budget(), attempt);
      return;
    }
    Duration delay = retry.delayBefore(attempt + 1);
    if (!scheduler.isShutdown()) {
      scheduler.schedule(
          () -> attempt(event, failed, attempt + 1), delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private boolean post(ThresholdEvent event, URI target, byte[] body) {
    long t = clock.instant().getEpochSecond();
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(retry.timeout())
            .header("Content-Type", "application/json")
            .header("User-Agent", "keybrake-webhook/1")
            .header("X-Keybrake-Event-Id", event.id())
            .header(WebhookSignature.HEADER, WebhookSignature.header(secret, t, body))
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
}
