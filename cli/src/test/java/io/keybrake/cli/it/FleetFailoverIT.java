package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.metrics.OpsMetrics;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.core.money.Micros;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.ExtProcConfig;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import io.keybrake.harness.envoy.Upstream;
import io.keybrake.harness.redis.RedisSentinel;
import io.keybrake.harness.redis.RedisServer;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis failover in the middle of a burst: a primary, a replica and a Sentinel started by the
 * test, three instances finding the primary through the Sentinel, concurrent clients spending on
 * one capped key. The primary is killed (kill -9) once the vendor has taken some calls; the
 * Sentinel promotes the replica. Every instance must come back on its own (no restart), the new
 * primary's ledger is fenced and rebuilt before it serves, and at the end the key's spend is
 * exactly what the vendor charged, never over the cap and within one call of it, with nothing left
 * reserved. Every wait is on a condition, with generous deadlines.
 */
class FleetFailoverIT {
  private static final int CLIENTS = 24;
  private static final int MAX_CENTS = 20;
  private static final long CAP = 25_000_000; // $25: about 240 calls of $0.01-$0.20
  private static final int KILL_AFTER_FORWARDED = 40;

  @TempDir Path dir;
  FleetFixture fleet;
  RedisServer primary;
  RedisServer replica;
  RedisSentinel sentinel;
  final List<KeybrakeApp> apps = new ArrayList<>();
  final List<ManagedChannel> channels = new ArrayList<>();
  final List<EnvoyExtProcClient> envoys = new ArrayList<>();

  /** What the vendor was asked to charge, over every call that reached it. */
  final AtomicLong vendorCents = new AtomicLong();

  final AtomicInteger vendorCalls = new AtomicInteger();
  final CountDownLatch enoughForwarded = new CountDownLatch(KILL_AFTER_FORWARDED);

  private final Upstream stripe =
      req -> {
        String amount =
            Arrays.stream(req.bodyText().split("&"))
                .filter(f -> f.startsWith("amount="))
                .findFirst()
                .orElseThrow()
                .substring(7);
        vendorCents.addAndGet(Long.parseLong(amount));
        vendorCalls.incrementAndGet();
        enoughForwarded.countDown();
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
    primary = RedisServer.start();
    replica = RedisServer.startReplicaOf(primary);
    Awaitility.await("the replica in sync")
        .atMost(Duration.ofSeconds(60))
        .until(() -> replica.info("replication").contains("master_link_status:up"));
    sentinel = RedisSentinel.start("keybrake", primary.port());
    Awaitility.await("the sentinel knows the replica")
        .atMost(Duration.ofSeconds(60))
        .until(() -> sentinel.masterInfo().contains("slaves=1"));
    for (int i = 0; i < 3; i++) {
      KeybrakeApp app =
          fleet.start(dir.resolve("instance-" + i), sentinel.uri(), Map.of(), FleetTuning.DEFAULTS);
      apps.add(app);
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
      channels.add(ch);
      // Envoy's own message timeout is not under test here: a settle that waits out the failover
      // must reach the client, not a 504
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
    if (sentinel != null) {
      sentinel.close();
    }
    if (replica != null) {
      replica.close();
    }
    if (primary != null) {
      primary.close();
    }
    fleet.close();
  }

  @Test
  void killingThePrimaryMidBurstFencesThePromotedReplicaAndTheCapHoldsExactly() throws Exception {
    KeybrakeApp admin = apps.get(0);
    HttpResponse<String> created =
        fleet.admin(
            admin,
            "POST",
            "/keys",
            "{\"name\":\"failover\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_x\","
                + "\"policy\":{\"daily_usd_cap\":"
                + Micros.format(CAP)
                + ",\"dedup_window_seconds\":0}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode key = fleet.json.readTree(created.body());
    String vault = key.get("vault_key").asText();
    String keyId = key.get("id").asText();
    for (KeybrakeApp app : apps) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> fleet.get(app, "/keys/" + keyId + "/spend").statusCode() == 200);
    }

    AtomicBoolean killed = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    // per instance: ledger answers (200 or 429) after the kill
    AtomicIntegerArray servedAfterKill = new AtomicIntegerArray(3);
    AtomicInteger capRefusalsAfterKill = new AtomicInteger();
    AtomicInteger refused503 = new AtomicInteger();
    AtomicLong answered200Cents = new AtomicLong();
    List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      running.add(
          clients.submit(
              () -> {
                Random random = new Random();
                while (!stop.get()) {
                  int n = next.getAndIncrement();
                  int instance = n % 3;
                  long cents = 1 + random.nextInt(MAX_CENTS);
                  boolean afterKill = killed.get();
                  var r = envoys.get(instance).exchange(charge(vault, n, cents), stripe);
                  switch (r.status()) {
                    case 200 -> {
                      answered200Cents.addAndGet(cents);
                      if (afterKill) {
                        servedAfterKill.incrementAndGet(instance);
                      }
                    }
                    case 429 -> {
                      if (afterKill) {
                        servedAfterKill.incrementAndGet(instance);
                        capRefusalsAfterKill.incrementAndGet();
                      }
                    }
                    case 503 -> {
                      refused503.incrementAndGet();
                      if (!r.bodyText().contains("ledger_unavailable")) {
                        unexpected.add(r.status() + " " + r.bodyText());
                      }
                      pause(); // a client backs off after a 503 (not a synchronisation)
                    }
                    default -> unexpected.add(r.status() + " " + r.bodyText());
                  }
                }
                return null;
              }));
    }
    try {
      assertThat(enoughForwarded.await(5, TimeUnit.MINUTES))
          .as("the vendor took %d calls before the kill", KILL_AFTER_FORWARDED)
          .isTrue();
      int before = primary.port();
      killed.set(true);
      primary.kill();
      Awaitility.await("the sentinel promotes the replica")
          .atMost(Duration.ofMinutes(2))
          .until(() -> sentinel.primaryPort() == replica.port());
      assertThat(before).isNotEqualTo(replica.port());
      // the burst goes on until every instance serves again, the cap refuses calls and the
      // settled spend is within one call's cost of it: reservations whose reserve answer the
      // failover lost hold their share of the cap (refusing calls, never passing it) until they
      // are released, so the cap refuses some calls before it can be spent to its last call
      Awaitility.await("every instance serves after the failover and the cap is reached")
          .atMost(Duration.ofMinutes(5))
          .until(
              () ->
                  servedAfterKill.get(0) > 0
                      && servedAfterKill.get(1) > 0
                      && servedAfterKill.get(2) > 0
                      && capRefusalsAfterKill.get() >= 3 * CLIENTS
                      && CAP - settledSpend(admin, keyId) < MAX_CENTS * 10_000L);
    } finally {
      stop.set(true);
      clients.shutdown();
    }
    assertThat(clients.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
    for (Future<?> f : running) {
      f.get();
    }

    assertThat(unexpected).isEmpty();
    long vendorSpent = vendorCents.get() * 10_000; // cents to micro-dollars
    assertThat(vendorSpent)
        .as("what the vendor charged never passes the cap")
        .isLessThanOrEqualTo(CAP);
    assertThat(CAP - vendorSpent)
        .as("the burst stops within one call's cost of the cap")
        .isLessThan(MAX_CENTS * 10_000L);
    assertThat(answered200Cents.get())
        .as("every call the vendor took was answered to its client")
        .isEqualTo(vendorCents.get());
    long fences = 0;
    for (KeybrakeApp app : apps) {
      fences += ((RedisLedger) OpsMetrics.unwrap(app.store().ledger())).store().fencedLedgers();
    }
    assertThat(fences).as("the promoted replica's ledger was fenced").isPositive();
    // the promoted replica's ledger was rebuilt and names it
    assertThat(replica.info("replication")).contains("role:master");
    for (KeybrakeApp app : apps) {
      Awaitility.await("instance on port " + app.httpPort() + " is ready")
          .atMost(Duration.ofMinutes(1))
          .until(() -> fleet.get(app, "/readyz").statusCode() == 200);
      // every call the vendor took is counted, nothing stays reserved (lost reserves released)
      Awaitility.await("the ledger settles")
          .atMost(Duration.ofMinutes(1))
          .untilAsserted(
              () -> {
                JsonNode spend =
                    fleet.json.readTree(fleet.get(app, "/keys/" + keyId + "/spend").body());
                assertThat(spend.get("reserved_usd").decimalValue()).isZero();
                assertThat(Micros.fromUsd(spend.get("spent_usd").decimalValue()))
                    .isEqualTo(vendorSpent);
              });
    }
    System.out.printf(
        "failover: %d calls, %d forwarded, %d answered 503 during the failover, fenced %d time(s)%n",
        next.get(), vendorCalls.get(), refused503.get(), fences);
  }

  /** The key's settled spend on the ledger, in micro-dollars. */
  private long settledSpend(KeybrakeApp app, String keyId) throws Exception {
    HttpResponse<String> spend = fleet.get(app, "/keys/" + keyId + "/spend");
    if (spend.statusCode() != 200) {
      return 0; // the ledger is being rebuilt: not there yet
    }
    return Micros.fromUsd(fleet.json.readTree(spend.body()).get("spent_usd").decimalValue());
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static HttpRequest charge(String vault, int n, long cents) {
    byte[] body =
        ("amount=" + cents + "&currency=usd&source=tok&description=failover" + n)
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
