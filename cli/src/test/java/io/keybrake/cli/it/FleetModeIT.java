package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.Settings;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.TwilioSimulator;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet mode end to end: two all-in-one instances ({@code KEYBRAKE_STORE=redis}) sharing a Redis
 * this test starts (so it can kill it) and a PostgreSQL schema of their own.
 */
class FleetModeIT {
  private static final String ADMIN = "fleet-admin-key-0123456789";
  private static final String KEK =
      Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

  @TempDir Path dirA;
  @TempDir Path dirB;
  RedisServer redis;
  TwilioSimulator twilio;
  String schema;
  String pgUrl;
  KeybrakeApp a;
  KeybrakeApp b;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  static String baseUrl() {
    return io.keybrake.store.postgres.TestPostgres.baseUrl();
  }

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    twilio = new TwilioSimulator(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN);
    twilio.start();
    schema = "kb_fleet_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(baseUrl());
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    pgUrl = baseUrl() + (baseUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema;
    a = app(dirA);
    b = app(dirB);
  }

  private KeybrakeApp app(Path dir) throws Exception {
    return KeybrakeApp.start(
        new Settings(
            Optional.of(ADMIN),
            dir,
            0,
            0,
            0,
            Map.of("twilio", twilio.baseUri()),
            "redis",
            Optional.of(URI.create(redis.uri())),
            Optional.of(pgUrl),
            Optional.of(KEK)),
        Clock.systemUTC());
  }

  @AfterEach
  void stop() throws Exception {
    for (KeybrakeApp app : new KeybrakeApp[] {a, b}) {
      if (app != null) {
        app.close();
      }
    }
    twilio.close();
    redis.close();
    try (Connection c = DriverManager.getConnection(baseUrl());
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private HttpResponse<String> admin(KeybrakeApp app, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
            .header("X-Admin-Key", ADMIN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode createKey(KeybrakeApp app, String policy) throws Exception {
    HttpResponse<String> r =
        admin(
            app,
            "POST",
            "/keys",
            "{\"name\":\"fleet\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
                + Gateway.TWILIO_SID
                + "\",\"twilio_auth_token\":\""
                + Gateway.TWILIO_TOKEN
                + "\",\"policy\":"
                + policy
                + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json.readTree(r.body());
  }

  private HttpResponse<String> sms(KeybrakeApp app, String vault, String body) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + app.httpPort()
                        + "/twilio/2010-04-01/Accounts/"
                        + vault
                        + "/Messages.json"))
            .header("Authorization", Gateway.basic(vault, "x"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    Gateway.form(Gateway.sms(Gateway.US_NUMBER, body))))
            .build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void keyFromOneInstanceWorksOnTheOtherAndItsRevocationReachesItAtOnce() throws Exception {
    JsonNode key = createKey(a, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    String vault = key.get("vault_key").asText();
    assertThat(sms(b, vault, "via b").statusCode()).isEqualTo(201);

    assertThat(admin(a, "DELETE", "/keys/" + key.get("id").asText(), null).statusCode())
        .isEqualTo(200);
    long revokedAt = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(1))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> sms(b, vault, "after revoke " + System.nanoTime()).statusCode() == 401);
    System.out.printf(
        "revocation reached the other instance in %.1f ms%n",
        (System.nanoTime() - revokedAt) / 1e6);
    assertThat(twilio.received()).hasSize(1);
  }

  @Test
  void capHoldsAcrossInstancesWithConcurrentSenders() throws Exception {
    JsonNode key = createKey(a, "{\"daily_usd_cap\":0.25,\"allowed_prefixes\":[\"+1\"]}");
    String vault = key.get("vault_key").asText();
    long price = PriceTable.loadDefault().smsSegmentMicros("US");
    long affordable = Micros.fromUsd(new BigDecimal("0.25")) / price;
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger seq = new AtomicInteger();
    List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 16; w++) {
      KeybrakeApp via = w % 2 == 0 ? a : b;
      workers.add(
          pool.submit(
              () -> {
                while (unexpected.size() < 5) {
                  HttpResponse<String> r = sms(via, vault, "m" + seq.incrementAndGet());
                  if (r.statusCode() == 201) {
                    ok.incrementAndGet();
                  } else if (r.statusCode() == 429) {
                    return null;
                  } else {
                    unexpected.add(r.statusCode() + " " + r.body());
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : workers) {
      f.get();
    }
    pool.shutdown();
    assertThat(unexpected).isEmpty();
    assertThat(ok.get()).isEqualTo((int) affordable);
    assertThat(twilio.received()).hasSize((int) affordable);
  }

  @Test
  void redisDownFailsClosedAndAnEmptyRestartIsRebuiltFromTheAuditLog() throws Exception {
    JsonNode key = createKey(a, "{\"daily_usd_cap\":0.10,\"allowed_prefixes\":[\"+1\"]}");
    String vault = key.get("vault_key").asText();
    long price = PriceTable.loadDefault().smsSegmentMicros("US");
    long affordable = Micros.fromUsd(new BigDecimal("0.10")) / price;
    for (int i = 0; i < 5; i++) {
      assertThat(sms(a, vault, "before " + i).statusCode()).isEqualTo(201);
    }

    redis.kill();
    long t0 = System.nanoTime();
    HttpResponse<String> down = sms(b, vault, "while down");
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(json.readTree(down.body()).get("keybrake_code").asText())
        .isEqualTo("ledger_unavailable");
    assertThat(tookMs).isLessThan(2_000);
    assertThat(twilio.received()).hasSize(5);

    redis.restart(); // empty: no persistence
    int sent = 5;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = sms(sent % 2 == 0 ? a : b, vault, "after " + System.nanoTime());
      if (r.statusCode() == 201) {
        sent++;
      } else if (r.statusCode() == 429) {
        break;
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503); // rebuilding or reconnecting
        Thread.onSpinWait();
      }
    }
    // the counters were rebuilt from the audit log: the five sent before the outage still count
    assertThat(sent).isEqualTo((int) affordable);
    assertThat(twilio.received()).hasSize((int) affordable);
  }

  @Test
  void
      instanceKilledBetweenReserveAndSettleLeavesAnAuditedUnsettledReservationAndTheRetryIsNotCharged()
          throws Exception {
    JsonNode key = createKey(a, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    String vault = key.get("vault_key").asText();
    // a vendor that accepts the call and never answers: the instance is killed mid-call
    try (java.net.ServerSocket blackhole =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      java.util.concurrent.atomic.AtomicInteger accepted =
          new java.util.concurrent.atomic.AtomicInteger();
      List<java.net.Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(blackhole.accept());
                    accepted.incrementAndGet();
                  }
                } catch (java.io.IOException closed) {
                  // test over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      Path dirC = dirA.resolve("instance-c");
      ProcessBuilder pb =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  Path.of("target", "keybrake.jar").toString(),
                  "up")
              .redirectError(dirA.resolve("instance-c.err").toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("KEYBRAKE_"));
      pb.environment()
          .putAll(
              Map.of(
                  "KEYBRAKE_STORE",
                  "redis",
                  "KEYBRAKE_REDIS_URL",
                  redis.uri(),
                  "KEYBRAKE_POSTGRES_URL",
                  pgUrl,
                  "KEYBRAKE_KEK",
                  KEK,
                  "KEYBRAKE_ADMIN_KEY",
                  ADMIN,
                  "KEYBRAKE_DATA_DIR",
                  dirC.toString(),
                  "KEYBRAKE_HTTP_PORT",
                  "0",
                  "KEYBRAKE_GRPC_PORT",
                  "0",
                  "KEYBRAKE_XDS_PORT",
                  "0",
                  "KEYBRAKE_UPSTREAM_TWILIO",
                  "http://127.0.0.1:" + blackhole.getLocalPort()));
      Process c = pb.start();
      try {
        int portC = bannerPort(c, dirA.resolve("instance-c.err"));
        java.util.concurrent.CompletableFuture<Integer> hanging =
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return smsTo(portC, vault, "killed mid-call").statusCode();
                  } catch (Exception e) {
                    return -1;
                  }
                });
        await().atMost(Duration.ofSeconds(20)).until(() -> accepted.get() == 1);

        c.destroyForcibly(); // kill -9 between reserve and settle
        assertThat(c.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(hanging.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(-1);
      } finally {
        c.destroyForcibly();
      }

      // another instance finds the orphan (test: stale after 0 s instead of 10 min)
      assertThat(a.sweepStaleReservations(Duration.ZERO)).isEqualTo(1);
      assertThat(b.sweepStaleReservations(Duration.ZERO)).as("audited once").isZero();
      JsonNode spend =
          json.readTree(admin(a, "GET", "/keys/" + key.get("id").asText() + "/spend", null).body());
      long price = PriceTable.loadDefault().smsSegmentMicros("US");
      assertThat(spend.get("reserved_usd").decimalValue())
          .isEqualByComparingTo(Micros.toUsd(price));

      // the agent's retry is deduplicated (its outcome is unknown), not charged twice
      HttpResponse<String> retry = sms(a, vault, "killed mid-call");
      assertThat(retry.statusCode()).isEqualTo(409);
      assertThat(accepted.get()).isEqualTo(1);
      for (java.net.Socket s : held) {
        s.close();
      }
    }
    a.close();
    b.close();
    a = null;
    b = null;
    try (io.keybrake.store.postgres.PostgresDatabase db =
        io.keybrake.store.postgres.PostgresDatabase.open(pgUrl)) {
      var rows =
          new io.keybrake.store.postgres.PostgresAuditLog(db, Clock.systemUTC())
              .query(
                  new io.keybrake.core.audit.AuditQuery(
                      Optional.of(key.get("id").asText()),
                      Optional.empty(),
                      Optional.empty(),
                      100));
      assertThat(rows)
          .filteredOn(r -> "unsettled".equals(r.entry().settlement()))
          .singleElement()
          .satisfies(r -> assertThat(r.entry().reason()).isEqualTo("instance_stopped"));
    }
  }

  @Test
  void revocationReachesEveryInstanceFastOver200Revocations() throws Exception {
    KeybrakeApp c = app(dirA.resolve("instance-3"));
    try {
      long[] nanos = new long[200];
      for (int i = 0; i < nanos.length; i++) {
        JsonNode key = createKey(a, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
        String vault = key.get("vault_key").asText();
        // the other instances hold the key in their caches
        assertThat(sms(b, vault, "warm b " + i).statusCode()).isEqualTo(201);
        assertThat(sms(c, vault, "warm c " + i).statusCode()).isEqualTo(201);

        assertThat(admin(a, "DELETE", "/keys/" + key.get("id").asText(), null).statusCode())
            .isEqualTo(200);
        long start = System.nanoTime();
        boolean refusedB = false;
        boolean refusedC = false;
        int n = 0;
        while (!(refusedB && refusedC)) {
          assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(1).toNanos());
          n++;
          refusedB = refusedB || sms(b, vault, "r" + i + "b" + n).statusCode() == 401;
          refusedC = refusedC || sms(c, vault, "r" + i + "c" + n).statusCode() == 401;
        }
        nanos[i] = System.nanoTime() - start;
      }
      java.util.Arrays.sort(nanos);
      System.out.printf(
          "revocation to first refusal on both other instances, 200 revocations: p50 %.2f ms,"
              + " p99 %.2f ms, max %.2f ms%n",
          nanos[100] / 1e6, nanos[197] / 1e6, nanos[199] / 1e6);
      assertThat(nanos[197]).isLessThan(Duration.ofSeconds(1).toNanos());
    } finally {
      c.close();
    }
  }

  @Test
  void capsHoldExactlyAcrossThreeProcessorsUnder64ClientsOverTwentySeeds() throws Exception {
    KeybrakeApp c = app(dirA.resolve("instance-3"));
    List<io.grpc.ManagedChannel> channels = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try {
      List<io.keybrake.harness.envoy.EnvoyExtProcClient> envoys = new ArrayList<>();
      for (KeybrakeApp app : List.of(a, b, c)) {
        io.grpc.ManagedChannel ch =
            io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                    "127.0.0.1", app.grpcPort())
                .usePlaintext()
                .build();
        channels.add(ch);
        envoys.add(
            new io.keybrake.harness.envoy.EnvoyExtProcClient(
                ch,
                // Envoy's own message timeout is not under test: a 504 from it on a machine
                // shared by several builds would say nothing about the ledger
                io.keybrake.harness.envoy.ExtProcConfig.defaults()
                    .withMessageTimeout(Duration.ofSeconds(60))
                    .withMaxMessageTimeout(Duration.ofSeconds(120))));
      }
      // the vendor charges what it is asked to
      io.keybrake.harness.envoy.Upstream stripe =
          req -> {
            String amount =
                java.util.Arrays.stream(req.bodyText().split("&"))
                    .filter(f -> f.startsWith("amount="))
                    .findFirst()
                    .orElseThrow()
                    .substring(7);
            return io.keybrake.harness.envoy.HttpResult.of(
                200,
                List.of(Map.entry("content-type", "application/json")),
                "{\"id\":\"ch_"
                    + UUID.randomUUID().toString().replace("-", "")
                    + "\",\"object\":\"charge\",\"amount\":"
                    + amount
                    + ",\"currency\":\"usd\"}");
          };
      // every budget and key first: a new budget reaches the other instances' caches over the
      // change feed within milliseconds (and within the 1 s cache TTL at worst)
      record Run(String vault, long keyCap, long fleetCap, java.util.Random random) {}
      List<Run> runs = new ArrayList<>();
      for (int seed = 1; seed <= 20; seed++) {
        java.util.Random random = new java.util.Random(seed);
        String label = "seed-" + seed + "-" + UUID.randomUUID().toString().substring(0, 8);
        long keyCap = 30_000_000 + random.nextInt(20_000_000); // $30-50
        long fleetCap = 20_000_000 + random.nextInt(20_000_000); // $20-40
        assertThat(
                admin(
                        a,
                        "POST",
                        "/budgets",
                        "{\"name\":\""
                            + label
                            + "\",\"selector\":{\"labels\":{\"run\":\""
                            + label
                            + "\"}},\"daily_usd_cap\":"
                            + Micros.format(fleetCap)
                            + "}")
                    .statusCode())
            .isEqualTo(201);
        HttpResponse<String> created =
            admin(
                a,
                "POST",
                "/keys",
                "{\"name\":\"exact\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_x\","
                    + "\"labels\":{\"run\":\""
                    + label
                    + "\"},\"policy\":{\"daily_usd_cap\":"
                    + Micros.format(keyCap)
                    + "}}");
        runs.add(
            new Run(
                json.readTree(created.body()).get("vault_key").asText(), keyCap, fleetCap, random));
      }
      int calls = 0;
      for (int seed = 1; seed <= 20; seed++) {
        Run run = runs.get(seed - 1);
        java.util.Random random = run.random();
        String vault = run.vault();
        long keyCap = run.keyCap();
        long fleetCap = run.fleetCap();
        int perSeed = 500;
        long[] amounts = new long[perSeed];
        for (int i = 0; i < perSeed; i++) {
          amounts[i] = 1 + random.nextInt(200); // cents: $0.01-$2.00
        }
        java.util.concurrent.atomic.AtomicLong forwardedCents =
            new java.util.concurrent.atomic.AtomicLong();
        List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < perSeed; i++) {
          int n = i;
          var envoy = envoys.get(i % 3);
          done.add(
              pool.submit(
                  () -> {
                    byte[] body =
                        ("amount=" + amounts[n] + "&currency=usd&source=tok&description=call" + n)
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    var r =
                        envoy.exchange(
                            new io.keybrake.harness.envoy.HttpRequest(
                                "POST",
                                "/v1/charges",
                                "api.stripe.com",
                                "https",
                                List.of(
                                    Map.entry("authorization", "Bearer " + vault),
                                    Map.entry("content-type", "application/x-www-form-urlencoded")),
                                body),
                            stripe);
                    if (r.status() == 200) {
                      forwardedCents.addAndGet(amounts[n]);
                    } else if (r.status() != 429) {
                      unexpected.add(r.status() + " " + r.bodyText());
                    }
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        calls += perSeed;
        assertThat(unexpected).as("seed %d", seed).isEmpty();
        long spent = forwardedCents.get() * 10_000; // cents to micro-dollars
        long cap = Math.min(keyCap, fleetCap);
        assertThat(spent).as("seed %d: never over the tighter cap", seed).isLessThanOrEqualTo(cap);
        assertThat(cap - spent)
            .as("seed %d: stops less than one call below the cap", seed)
            .isLessThan(200 * 10_000);
      }
      System.out.printf("exactness: %d calls over 20 seeds, 3 processors, 64 clients%n", calls);
    } finally {
      pool.shutdownNow();
      channels.forEach(io.grpc.ManagedChannel::shutdownNow);
      c.close();
    }
  }

  private static int bannerPort(Process p, Path err) throws Exception {
    java.io.BufferedReader out =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
    java.util.regex.Pattern http =
        java.util.regex.Pattern.compile("admin API\\s+http://localhost:(\\d+)/keys");
    // a cold JVM's start on a machine shared by several builds can take a minute or more
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    String line;
    while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
      java.util.regex.Matcher m = http.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError(
        "the child instance printed no banner; its log:\n"
            + java.nio.file.Files.readString(err, java.nio.charset.StandardCharsets.UTF_8));
  }

  private HttpResponse<String> smsTo(int port, String vault, String body) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + "/twilio/2010-04-01/Accounts/"
                        + vault
                        + "/Messages.json"))
            .header("Authorization", Gateway.basic(vault, "x"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    Gateway.form(Gateway.sms(Gateway.US_NUMBER, body))))
            .build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }
}
