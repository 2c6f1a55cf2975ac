package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.core.money.Micros;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.ExtProcConfig;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import io.keybrake.harness.envoy.Upstream;
import io.keybrake.harness.load.LoadGenerator;
import io.keybrake.harness.load.LoadReport;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.store.redis.LatencyBuckets;
import io.keybrake.store.redis.RedisLedger;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet under load on one healthy Redis: three instances (ext_proc, as Envoy reaches them), 64
 * concurrent clients, a burst of 10,000 calls per seed against one key cap and one fleet budget,
 * over five seeds (a few minutes on a quiet 2-core machine; on a loaded one it takes longer but
 * asserts the same). No call is refused 503 (a busy machine is not an outage), spend ends within
 * one call's cost of the tighter cap and never past it, and nothing stays reserved once the burst
 * is over.
 */
class FleetLoadIT {
  private static final int SEEDS = 5;
  private static final int CALLS = 10_000;
  private static final int CLIENTS = 64;
  private static final int MAX_CENTS = 200;

  @TempDir Path dir;
  FleetFixture fleet;
  RedisServer redis;
  final List<KeybrakeApp> apps = new ArrayList<>();
  final List<ManagedChannel> channels = new ArrayList<>();
  final List<EnvoyExtProcClient> envoys = new ArrayList<>();

  /** The vendor charges what it is asked to. */
  private final Upstream stripe =
      req -> {
        String amount =
            Arrays.stream(req.bodyText().split("&"))
                .filter(f -> f.startsWith("amount="))
                .findFirst()
                .orElseThrow()
                .substring(7);
        return HttpResult.of(
            200,
            List.of(Map.entry("content-type", "application/json")),
            "{\"id\":\"ch_"
                + UUID.randomUUID().toString().replace("-", "")
                + "\",\"object\":\"charge\",\"amount\":"
                + amount
                + ",\"currency\":\"usd\"}");
      };

  @BeforeEach
  void start() throws Exception {
    fleet = new FleetFixture();
    redis = RedisServer.start();
    for (int i = 0; i < 3; i++) {
      KeybrakeApp app =
          fleet.start(dir.resolve("instance-" + i), redis.uri(), Map.of(), FleetTuning.DEFAULTS);
      apps.add(app);
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
      channels.add(ch);
      // Envoy's own message timeout is not under test: a 504 from it on a machine shared by
      // several builds would say nothing about the ledger
      envoys.add(
          new EnvoyExtProcClient(
              ch,
              ExtProcConfig.defaults()
                  .withMessageTimeout(Duration.ofSeconds(60))
                  .withMaxMessageTimeout(Duration.ofSeconds(120))));
    }
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    for (KeybrakeApp app : apps) {
      app.close();
    }
    redis.close();
    fleet.close();
  }

  @Test
  void burstsOnThreeInstancesStopAtTheCapWithNo503AndNothingLeftReserved() throws Exception {
    KeybrakeApp admin = apps.get(0);
    long totalCalls = 0;
    List<String> reports = new ArrayList<>();
    for (int seed = 1; seed <= SEEDS; seed++) {
      Random random = new Random(seed);
      String label = "seed-" + seed + "-" + UUID.randomUUID().toString().substring(0, 8);
      long keyCap = 30_000_000 + random.nextInt(20_000_000); // $30-50
      long fleetCap = 20_000_000 + random.nextInt(20_000_000); // $20-40
      HttpResponse<String> budget =
          fleet.admin(
              admin,
              "POST",
              "/budgets",
              "{\"name\":\""
                  + label
                  + "\",\"selector\":{\"labels\":{\"run\":\""
                  + label
                  + "\"}},\"daily_usd_cap\":"
                  + Micros.format(fleetCap)
                  + "}");
      assertThat(budget.statusCode()).as(budget.body()).isEqualTo(201);
      HttpResponse<String> created =
          fleet.admin(
              admin,
              "POST",
              "/keys",
              "{\"name\":\"burst\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_x\","
                  + "\"labels\":{\"run\":\""
                  + label
                  + "\"},\"policy\":{\"daily_usd_cap\":"
                  + Micros.format(keyCap)
                  + ",\"dedup_window_seconds\":0}}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      JsonNode key = fleet.json.readTree(created.body());
      String vault = key.get("vault_key").asText();
      awaitBudgetOnEveryInstance(label);

      long[] cents = new long[CALLS];
      for (int i = 0; i < CALLS; i++) {
        cents[i] = 1 + random.nextInt(MAX_CENTS); // $0.01-$2.00
      }
      AtomicInteger next = new AtomicInteger();
      AtomicLong forwardedCents = new AtomicLong();
      AtomicInteger refused503 = new AtomicInteger();
      List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
      LoadReport report =
          // bounded against a hang only: a busy machine makes the burst slower, not different
          LoadGenerator.closedLoop(CLIENTS, Duration.ofMinutes(20))
              .maxExchanges(CALLS)
              .drainTimeout(Duration.ofMinutes(20))
              .run(
                  () -> {
                    int n = next.getAndIncrement();
                    var r = envoys.get(n % 3).exchange(charge(vault, n, cents[n]), stripe);
                    if (r.status() == 200) {
                      forwardedCents.addAndGet(cents[n]);
                      return true;
                    }
                    if (r.status() == 429) {
                      return true;
                    }
                    if (r.status() == 503) {
                      refused503.incrementAndGet();
                    }
                    unexpected.add(r.status() + " " + r.bodyText());
                    return false;
                  });
      totalCalls += report.completed() + report.failed();
      reports.add("seed " + seed + ": " + report);

      assertThat(refused503.get()).as("seed %d: 503 answers with Redis healthy", seed).isZero();
      assertThat(unexpected).as("seed %d", seed).isEmpty();
      assertThat(report.completed()).as("seed %d", seed).isEqualTo(CALLS);
      long spent = forwardedCents.get() * 10_000; // cents to micro-dollars
      long cap = Math.min(keyCap, fleetCap);
      assertThat(spent).as("seed %d: never over the tighter cap", seed).isLessThanOrEqualTo(cap);
      assertThat(cap - spent)
          .as("seed %d: stops within one call's cost of the cap", seed)
          .isLessThan(MAX_CENTS * 10_000L);
      JsonNode spend =
          fleet.json.readTree(
              fleet.get(admin, "/keys/" + key.get("id").asText() + "/spend").body());
      assertThat(spend.get("reserved_usd").decimalValue())
          .as("seed %d: nothing reserved after the burst", seed)
          .isZero();
      assertThat(Micros.fromUsd(spend.get("spent_usd").decimalValue()))
          .as("seed %d: the ledger holds what the vendor charged", seed)
          .isEqualTo(spent);
    }
    reports.forEach(System.out::println);
    for (int i = 0; i < apps.size(); i++) {
      LatencyBuckets l =
          ((RedisLedger) io.keybrake.cli.metrics.OpsMetrics.unwrap(apps.get(i).store().ledger()))
              .store()
              .commandLatency();
      System.out.printf(
          "instance %d: %d Redis commands, round trip p50 <= %.3f ms, p99 <= %.3f ms,"
              + " p99.9 <= %.3f ms%n",
          i,
          l.count(),
          l.percentileMicros(0.5) / 1000.0,
          l.percentileMicros(0.99) / 1000.0,
          l.percentileMicros(0.999) / 1000.0);
    }
    System.out.printf(
        "fleet bursts: %d calls over %d seeds, 3 instances, %d clients, no 503%n",
        totalCalls, SEEDS, CLIENTS);
  }

  /** A new budget reaches every instance's budget cache over the change feed. */
  private void awaitBudgetOnEveryInstance(String label) throws Exception {
    for (KeybrakeApp app : apps) {
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> fleet.get(app, "/budgets").body().contains(label));
    }
  }

  private static HttpRequest charge(String vault, int n, long cents) {
    byte[] body =
        ("amount=" + cents + "&currency=usd&source=tok&description=call" + n)
            .getBytes(StandardCharsets.UTF_8);
    return new HttpRequest(
        "POST",
        "/v1/charges",
        "api.stripe.com",
        "https",
        List.of(
            Map.entry("authorization", "Bearer " + vault),
            Map.entry("content-type", "application/x-www-form-urlencoded")),
        body);
  }
}
