package io.keybrake.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannel;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.Settings;
import io.keybrake.controlplane.xds.NodeGroups;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.load.LoadGenerator;
import io.keybrake.harness.load.LoadReport;
import io.keybrake.harness.xds.DeltaXdsClient;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-run keys at scale, on the embedded store with every role running ({@code keybrake up}):
 *
 * <ol>
 *   <li>decision latency at a fixed rate with 10 keys in the registry;
 *   <li>creation of N keys through {@code POST /keys} by 16 concurrent clients, the rate over the
 *       first and the last tenth;
 *   <li>idle CPU (process CPU time over a quiet period) and resident memory with N keys;
 *   <li>decision latency at the same rate with N keys (the traffic uses the same 10 keys);
 *   <li>xDS: a delta-ADS gateway client holds every route; 100 revocations through {@code DELETE
 *       /keys/{id}}, time from the call's return to the route's removal in the client, and what
 *       each push carried.
 * </ol>
 *
 * A program, not a test:
 *
 * <pre>./mvnw -B -q -pl cli -am verify -Pbench -DskipTests \
 *   -Dbench.main=io.keybrake.cli.bench.KeyScaleBenchmark -Dbench.jvm=-Xms64m \
 *   -Dbench.args="100000 16 100 20"</pre>
 *
 * Arguments: [keys, default 100000] [creating clients, default 16] [decisions/s, default 100]
 * [seconds per latency run, default 20] [revocations, default 100] [{@code fleet}: three instances
 * on Redis and PostgreSQL, creation and revocation to refusal only]. {@code -Dbench.phases=} names
 * the phases to run besides the creation ({@code decide,idle,xds} by default).
 */
public final class KeyScaleBenchmark {
  private static final String ADMIN = "bench-admin-key-0123456789";
  private static final String SID = "AC" + "0123456789abcdef0123456789abcdef";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Which phases run besides the creation: {@code -Dbench.phases=decide,idle,xds} (the default).
   */
  private static final String PHASES = System.getProperty("bench.phases", "decide,idle,xds");

  private KeyScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    double rate = args.length > 2 ? Double.parseDouble(args[2]) : 100;
    Duration runFor = Duration.ofSeconds(args.length > 3 ? Long.parseLong(args[3]) : 20);
    int revocations = args.length > 4 ? Integer.parseInt(args[4]) : 100;
    if (args.length > 5 && args[5].equals("fleet")) {
      fleet(keys, clients, revocations);
      return;
    }
    Path dir = Files.createTempDirectory("keybrake-scale");
    Settings settings =
        new Settings(
            Optional.of(ADMIN),
            dir,
            0,
            0,
            0,
            Map.of(),
            "embedded",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    System.out.printf(
        "keys %d, creating clients %d, decisions %.0f/s for %s, revocations %d, load average %.1f%n",
        keys, clients, rate, runFor, revocations, loadAverage());
    try (KeybrakeApp app = KeybrakeApp.start(settings, Clock.systemUTC())) {
      List<String> hot = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        hot.add(create(app, i).get("vault_key").asText());
      }
      ManagedChannel channel = ExtProcBenchmark.channel(app.grpcPort());
      Callable<Boolean> decide = roundRobin(channel, hot);
      LoadReport small = null;
      if (PHASES.contains("decide")) {
        LoadGenerator.closedLoop(4, Duration.ofSeconds(10)).run(decide); // warm-up
        small = LoadGenerator.openLoop(rate, runFor).run(decide);
        System.out.printf("decisions with 10 keys in the registry:      %s%n", small);
      }

      List<String> ids = createMany(List.of(app), keys, clients);

      if (PHASES.contains("idle")) {
        idle(Duration.ofSeconds(30));
      }
      if (small != null) {
        LoadReport large = LoadGenerator.openLoop(rate, runFor).run(decide);
        System.out.printf("decisions with %,d keys in the registry: %s%n", keys + 10, large);
        System.out.printf(
            "  p50 %.2fx, p99 %.2fx of the 10-key run%n",
            (double) large.p50Micros() / small.p50Micros(),
            (double) large.p99Micros() / small.p99Micros());
      }

      if (!ExtProcBenchmark.FAILURES.isEmpty()) {
        System.out.println("failed decisions by answer: " + ExtProcBenchmark.FAILURES);
      }
      if (PHASES.contains("xds")) {
        xdsRevocations(app, ids, revocations, keys + 10);
      }
      channel.shutdownNow();
    }
  }

  /**
   * Fleet mode: three instances (every role) on one child {@code redis-server} and one fresh
   * PostgreSQL schema. Creation through all three (client {@code c} on instance {@code c % 3}),
   * then revocation to refusal: for each of {@code revocations} keys, created on instance 1 and
   * used once on instances 2 and 3 (so both hold it in their caches), the time from {@code DELETE
   * /keys/{id}} returning on instance 1 to the first refusal (401) on both others, probed through
   * ext_proc.
   */
  private static void fleet(int keys, int clients, int revocations) throws Exception {
    System.out.printf(
        "fleet: 3 instances, Redis (child redis-server), PostgreSQL (fresh schema); keys %d,"
            + " creating clients %d, revocations %d, load average %.1f%n",
        keys, clients, revocations, loadAverage());
    Path dir = Files.createTempDirectory("keybrake-scale-fleet");
    String kek =
        java.util.Base64.getEncoder()
            .encodeToString(
                "bench-kek-0123456789abcdef012345"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    List<KeybrakeApp> apps = new ArrayList<>();
    try (io.keybrake.harness.redis.RedisServer redis =
        io.keybrake.harness.redis.RedisServer.start()) {
      String pg = freshSchema();
      for (int i = 0; i < 3; i++) {
        apps.add(
            KeybrakeApp.start(
                new Settings(
                    Optional.of(ADMIN),
                    dir.resolve("instance-" + i),
                    0,
                    0,
                    0,
                    Map.of(),
                    "redis",
                    Optional.of(java.net.URI.create(redis.uri())),
                    Optional.of(pg),
                    Optional.of(kek)),
                Clock.systemUTC()));
      }
      createMany(apps, keys, clients);
      refusals(apps, revocations);
    } finally {
      for (KeybrakeApp app : apps) {
        app.close();
      }
    }
  }

  private static void refusals(List<KeybrakeApp> apps, int count) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    List<EnvoyExtProcClient> ext = new ArrayList<>();
    for (KeybrakeApp app : apps) {
      ManagedChannel ch = ExtProcBenchmark.channel(app.grpcPort());
      channels.add(ch);
      ext.add(new EnvoyExtProcClient(ch, ExtProcBenchmark.config()));
    }
    try {
      long[] nanos = new long[count];
      AtomicLong n = new AtomicLong();
      for (int i = 0; i < count; i++) {
        JsonNode key = create(apps.get(0), 1_000_000 + i);
        String vault = key.get("vault_key").asText();
        for (int other = 1; other < 3; other++) {
          int status = decide(ext.get(other), vault, n.incrementAndGet());
          if (status != 201) {
            throw new IllegalStateException("warming call answered " + status);
          }
        }
        KeepAliveHttp.Answer r =
            client(apps.get(0)).send("DELETE", "/keys/" + key.get("id").asText(), ADMIN, null);
        long start = System.nanoTime();
        if (r.status() != 200) {
          throw new IllegalStateException("DELETE answered " + r.status() + " " + r.body());
        }
        boolean refused1 = false;
        boolean refused2 = false;
        while (!(refused1 && refused2)) {
          if (System.nanoTime() - start > Duration.ofSeconds(10).toNanos()) {
            throw new IllegalStateException("still served 10 s after its revocation");
          }
          refused1 = refused1 || decide(ext.get(1), vault, n.incrementAndGet()) == 401;
          refused2 = refused2 || decide(ext.get(2), vault, n.incrementAndGet()) == 401;
        }
        nanos[i] = System.nanoTime() - start;
      }
      java.util.Arrays.sort(nanos);
      System.out.printf(
          "%d revocations on instance 1 -> first refusal on both instances 2 and 3: p50 %.1f ms,"
              + " p99 %.1f ms, max %.1f ms; load average %.1f%n",
          count,
          nanos[count / 2] / 1e6,
          nanos[(int) Math.ceil(count * 0.99) - 1] / 1e6,
          nanos[count - 1] / 1e6,
          loadAverage());
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  /** One Twilio message through ext_proc with {@code vault}: the status the client gets. */
  private static int decide(EnvoyExtProcClient client, String vault, long n) {
    String auth =
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString((vault + ":x").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    io.keybrake.harness.envoy.Upstream twilio =
        req ->
            io.keybrake.harness.envoy.HttpResult.of(
                201,
                List.of(Map.entry("content-type", "application/json")),
                "{\"sid\":\"SM0123456789abcdef0123456789abcdef\",\"status\":\"queued\","
                    + "\"price\":null,\"price_unit\":\"USD\",\"num_segments\":\"1\"}");
    return client
        .exchange(
            new io.keybrake.harness.envoy.HttpRequest(
                "POST",
                "/2010-04-01/Accounts/" + vault + "/Messages.json",
                "api.twilio.com",
                "https",
                List.of(
                    Map.entry("authorization", auth),
                    Map.entry("content-type", "application/x-www-form-urlencoded")),
                ("To=%2B14155552671&From=%2B15005550006&Body=probe+" + n)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            twilio)
        .status();
  }

  /** A fresh PostgreSQL schema (KEYBRAKE_TEST_POSTGRES_URL, else the tests' own server). */
  private static String freshSchema() throws Exception {
    String base = io.keybrake.store.postgres.TestPostgres.baseUrl();
    String schema = "kb_scale_bench_" + System.currentTimeMillis();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(base);
        java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  private static Callable<Boolean> roundRobin(ManagedChannel channel, List<String> vaultKeys) {
    List<Callable<Boolean>> each = new ArrayList<>();
    for (String v : vaultKeys) {
      each.add(
          ExtProcBenchmark.exchange(new EnvoyExtProcClient(channel, ExtProcBenchmark.config()), v));
    }
    AtomicLong n = new AtomicLong();
    return () -> each.get((int) (n.getAndIncrement() % each.size())).call();
  }

  /**
   * Creates {@code count} keys with {@code clients} threads (client {@code c} on instance {@code c
   * % apps.size()}); prints the rate per tenth.
   */
  private static List<String> createMany(List<KeybrakeApp> apps, int count, int clients)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger created = new AtomicInteger();
    long[] doneAt = new long[count];
    List<String> ids = Collections.synchronizedList(new ArrayList<>(count));
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long start = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      KeybrakeApp app = apps.get(c % apps.size());
      workers.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                  ids.add(create(app, 100 + i).get("id").asText());
                  doneAt[i] = System.nanoTime();
                  created.incrementAndGet();
                }
                return null;
              }));
    }
    // process CPU time at each tenth of the keys: CPU per key does not depend on how much of the
    // machine other processes take, unlike the rate
    int tenth = Math.max(1, count / 10);
    long[] cpuAtTenth = new long[11];
    double[] loadAtTenth = new double[11];
    cpuAtTenth[0] = processCpuNanos();
    loadAtTenth[0] = loadAverage();
    for (int t = 1; t <= 10; t++) {
      int target = Math.min(count, t * tenth);
      while (created.get() < target && !allDone(workers)) {
        Thread.sleep(5);
      }
      cpuAtTenth[t] = processCpuNanos();
      loadAtTenth[t] = loadAverage();
    }
    for (Future<?> f : workers) {
      f.get();
    }
    pool.shutdown();
    long total = System.nanoTime() - start;
    long[] sorted = doneAt.clone();
    java.util.Arrays.sort(sorted);
    double first = tenth / ((sorted[tenth - 1] - start) / 1e9);
    double last = tenth / ((sorted[count - 1] - sorted[count - tenth - 1]) / 1e9);
    System.out.printf(
        "created %,d keys with %d clients in %.1f s: %.0f keys/s overall, first tenth %.0f/s,"
            + " last tenth %.0f/s%n",
        count, clients, total / 1e9, count / (total / 1e9), first, last);
    StringBuilder perTenth = new StringBuilder();
    for (int t = 1; t <= 10; t++) {
      perTenth.append(
          String.format(" %.2f", (cpuAtTenth[t] - cpuAtTenth[t - 1]) / 1e6 / (double) tenth));
    }
    System.out.printf(
        "  process CPU per key created (server and its HTTP clients), ms by tenth:%s;"
            + " overall %.2f ms; load average %.1f at the start, %.1f at the end%n",
        perTenth, (cpuAtTenth[10] - cpuAtTenth[0]) / 1e6 / count, loadAtTenth[0], loadAtTenth[10]);
    return ids;
  }

  private static boolean allDone(List<Future<?>> workers) {
    return workers.stream().allMatch(Future::isDone);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Process CPU over a quiet period, and resident memory after it. */
  private static void idle(Duration quiet) throws Exception {
    System.gc();
    Thread.sleep(5_000); // a benchmark program, not a test: let the creation's work settle
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Thread.sleep(quiet.toMillis());
    double cpu = (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - t0);
    Runtime rt = Runtime.getRuntime();
    System.out.printf(
        "idle for %s: process CPU %.2f %% of one core; RSS %s; heap used %d MiB of %d MiB"
            + " committed; load average %.1f%n",
        quiet,
        cpu * 100,
        rss(),
        (rt.totalMemory() - rt.freeMemory()) >> 20,
        rt.totalMemory() >> 20,
        loadAverage());
  }

  private static void xdsRevocations(KeybrakeApp app, List<String> ids, int count, int active)
      throws Exception {
    ManagedChannel xds =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                "127.0.0.1", app.xdsPort())
            .usePlaintext()
            .maxInboundMessageSize(256 << 20)
            .build();
    long t0 = System.nanoTime();
    try (DeltaXdsClient gw =
        DeltaXdsClient.connect(
            xds,
            Node.newBuilder()
                .setId("bench-gateway")
                .setCluster(NodeGroups.EGRESS_GATEWAY)
                .build())) {
      if (!gw.await(r -> r.size() >= active, Duration.ofMinutes(5))) {
        throw new IllegalStateException("the gateway got " + gw.routedKeyIds().size() + " routes");
      }
      long initialBytes = gw.pushes().stream().mapToLong(DeltaXdsClient.Push::bytes).sum();
      System.out.printf(
          "xDS gateway (delta ADS) connected: %,d routes in %d tables, %.1f MiB in %.1f s%n",
          gw.routedKeyIds().size(),
          gw.routeTables(),
          initialBytes / 1048576.0,
          (System.nanoTime() - t0) / 1e9);
      List<Long> nanos = new ArrayList<>();
      List<Integer> resources = new ArrayList<>();
      List<Integer> bytes = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String id = ids.get(i * (ids.size() / count));
        int before = gw.pushes().size();
        KeepAliveHttp.Answer r = client(app).send("DELETE", "/keys/" + id, ADMIN, null);
        long revoked = System.nanoTime();
        if (r.status() != 200) {
          throw new IllegalStateException("DELETE answered " + r.status() + " " + r.body());
        }
        if (!gw.awaitUnrouted(id, Duration.ofSeconds(10))) {
          throw new IllegalStateException("route of " + id + " still there after 10 s");
        }
        nanos.add(System.nanoTime() - revoked);
        for (DeltaXdsClient.Push p : gw.pushes().subList(before, gw.pushes().size())) {
          resources.add(p.resources());
          bytes.add(p.bytes());
        }
      }
      Collections.sort(nanos);
      Collections.sort(bytes);
      System.out.printf(
          "%d revocations, DELETE returned -> route gone in the gateway client: p50 %.1f ms,"
              + " p99 %.1f ms, max %.1f ms%n",
          count,
          nanos.get(count / 2) / 1e6,
          nanos.get((int) Math.ceil(count * 0.99) - 1) / 1e6,
          nanos.get(count - 1) / 1e6);
      System.out.printf(
          "pushes: %d, resources per push %s, bytes per push p50 %,d max %,d%n",
          bytes.size(),
          resources.stream().distinct().sorted().toList(),
          bytes.get(bytes.size() / 2),
          bytes.get(bytes.size() - 1));
    } finally {
      xds.shutdownNow();
    }
  }

  private static JsonNode create(KeybrakeApp app, int i) throws Exception {
    String body =
        "{\"name\":\"run-"
            + i
            + "\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
            + SID
            + "\",\"twilio_auth_token\":\"token\",\"labels\":{\"run\":\"r"
            + i
            // one key per agent run, bound to the run's pod (500 pods): its route goes to that
            // pod's sidecar and to the gateway, not to every sidecar
            + "\",\"keybrake.io/node\":\"pod-"
            + (i % 500)
            + "\"},\"policy\":{\"daily_usd_cap\":1000000,\"allowed_prefixes\":[\"+1\"],"
            + "\"dedup_window_seconds\":60,\"expires_in\":\"24h\"}}";
    KeepAliveHttp.Answer r = client(app).send("POST", "/keys", ADMIN, body);
    if (r.status() != 201) {
      throw new IllegalStateException("POST /keys answered " + r.status() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private static final java.util.concurrent.ConcurrentMap<Integer, KeepAliveHttp> CLIENTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static KeepAliveHttp client(KeybrakeApp app) {
    return CLIENTS.computeIfAbsent(app.httpPort(), KeepAliveHttp::new);
  }

  private static String rss() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return line.substring(6).trim();
      }
    }
    return "unknown";
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
