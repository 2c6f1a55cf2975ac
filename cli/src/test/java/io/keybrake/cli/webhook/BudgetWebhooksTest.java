package io.keybrake.cli.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.notify.ThresholdEvent;
import io.keybrake.core.notify.ThresholdStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Thresholds, claims and retries of {@link BudgetWebhooks}, with a stub ledger and a receiver. */
class BudgetWebhooksTest {
  static final String SECRET = "0123456789abcdef-secret";
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final BudgetLimit DAILY = KeyBudgets.daily("key_a", 1_000_000, ZoneOffset.UTC, NOW);

  HttpServer receiver;
  final List<String> bodies = new CopyOnWriteArrayList<>();
  final AtomicLong failures = new AtomicLong();
  final AtomicLong spent = new AtomicLong();
  final Map<String, ThresholdEvent> claimed = new ConcurrentHashMap<>();
  final Map<String, Boolean> delivered = new ConcurrentHashMap<>();
  BudgetWebhooks webhooks;

  final ThresholdStore store =
      new ThresholdStore() {
        @Override
        public boolean claim(ThresholdEvent e) {
          return claimed.putIfAbsent(e.id(), e) == null;
        }

        @Override
        public void delivered(String eventId, Instant at) {
          delivered.put(eventId, true);
        }

        @Override
        public void attempted(String eventId, int attempts) {}

        @Override
        public List<ThresholdEvent> undelivered() {
          List<ThresholdEvent> out = new ArrayList<>();
          claimed.forEach(
              (id, e) -> {
                if (!delivered.containsKey(id)) {
                  out.add(e);
                }
              });
          return out;
        }
      };

  final Ledger ledger =
      new Ledger() {
        @Override
        public ReserveOutcome reserve(ReserveRequest r) {
          throw new UnsupportedOperationException();
        }

        @Override
        public void settle(String id, long micros) {}

        @Override
        public boolean adjust(String id, long micros) {
          return false;
        }

        @Override
        public void release(String id) {}

        @Override
        public void markUnsettled(String id) {}

        @Override
        public CounterSnapshot counter(BudgetLimit limit) {
          return new CounterSnapshot(spent.get(), 0);
        }
      };

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          String sig = ex.getRequestHeaders().getFirst(WebhookSignature.HEADER);
          boolean fail = failures.getAndDecrement() > 0;
          if (!fail && WebhookSignature.verify(SECRET, sig, body)) {
            bodies.add(new String(body, StandardCharsets.UTF_8));
          }
          ex.sendResponseHeaders(fail ? 500 : 200, -1);
          ex.close();
        });
    receiver.start();
  }

  @AfterEach
  void stop() {
    if (webhooks != null) {
      webhooks.close();
    }
    receiver.stop(0);
  }

  BudgetWebhooks webhooks() {
    URI target = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/");
    return BudgetWebhooks.start(
        store,
        ledger,
        Clock.fixed(NOW, ZoneOffset.UTC),
        List.of(target),
        BudgetStore.class.cast(null),
        SECRET,
        new WebhookSender.Retry(
            5, Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(5)),
        new SimpleMeterRegistry());
  }

  void reserve(long totalMicros) {
    spent.set(totalMicros);
    webhooks.reserved(
        new ReserveRequest("rsv", "key_a", List.of(DAILY), 1, NOW),
        new ReserveOutcome.Reserved("rsv", totalMicros, DAILY.capMicros()));
  }

  @Test
  void eachThresholdOnceInOrderAndA500IsRetried() {
    failures.set(1);
    webhooks = webhooks();
    reserve(400_000);
    reserve(550_000);
    await().atMost(Duration.ofSeconds(20)).until(() -> bodies.size() == 1);
    reserve(600_000);
    reserve(850_000);
    reserve(1_000_000);
    await().atMost(Duration.ofSeconds(20)).until(() -> bodies.size() == 3);
    reserve(1_000_000);
    webhooks.close();
    assertThat(bodies.get(0)).contains("\"percent\":50").contains("\"key_id\":\"key_a\"");
    assertThat(bodies.get(1)).contains("\"percent\":80");
    assertThat(bodies.get(2)).contains("\"percent\":100");
    assertThat(claimed).hasSize(3);
    assertThat(delivered).hasSize(3);
  }

  @Test
  void aRefusalForTheCapIsTheHundredPercentThreshold() {
    webhooks = webhooks();
    spent.set(990_000);
    webhooks.reserved(
        new ReserveRequest("rsv", "key_a", List.of(DAILY), 20_000, NOW),
        new ReserveOutcome.Exhausted(DAILY, 990_000, 20_000));
    await().atMost(Duration.ofSeconds(20)).until(() -> bodies.size() == 3);
    assertThat(bodies.get(2)).contains("\"percent\":100").contains("\"spent_usd\":0.99");
  }

  @Test
  void anUndeliveredEventIsSentAtTheNextStartAndAClaimedOneNeverAgain() {
    failures.set(1_000);
    webhooks = webhooks();
    reserve(600_000);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> claimed.size() == 1 && failures.get() <= 995);
    webhooks.close();
    assertThat(bodies).isEmpty();
    failures.set(0);
    webhooks = webhooks(); // a restart: the undelivered 50 % goes out, once
    await().atMost(Duration.ofSeconds(20)).until(() -> bodies.size() == 1);
    reserve(600_000);
    reserve(700_000);
    await().atMost(Duration.ofSeconds(20)).until(() -> delivered.size() == 1);
    assertThat(claimed).hasSize(1);
    assertThat(bodies).hasSize(1);
  }
}
