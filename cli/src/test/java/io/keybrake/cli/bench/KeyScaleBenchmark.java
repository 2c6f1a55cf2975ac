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
 *   <li>decision latency at a fixed rate with 10 keys in the registry (after a closed-loop warm-up
 *       and one discarded run at the rate: {@code -Dbench.warmup=} seconds);
 *   <li>creation of N keys through {@code POST /keys} by 16 concurrent clients, the rate over the
 *       first and the last tenth;
 *   <li>idle CPU (process CPU time over a quiet period) and resident memory with N keys;
 *   <li>decision latency at the same rate with N keys (the traffic uses the same 10 keys);
 *   <li>xDS: a delta-ADS gateway client holds every route; 100 revocations through {@code DELETE
 *       /keys/{id}}, time from the call's return (and from its start) to the route's removal in the
 *       client, and what each push during the revocations carried.
 * </ol>
 *
 * A program, not a test:
 *
 * <pre>./mvnw -B -q -pl cli -am verify -Pbench -DskipTests \
 *   -Dbench.main=io.keybrake.cli.bench.KeyScaleBenchmark -Dbench.jvm=-Xms64m \
 *   -Dbench.args="100000 16 100 20 100"</pre>
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

  /**
   * Seconds of closed-loop decisions (4 workers) before each decision-latency measurement: {@code
   * -Dbench.warmup=30} (the default). After it, one open-loop run at the rate is made and discarded
   * and a second is reported, so that the 10-key run (made first, on a cold JVM) and the all-keys
   * run (made after the creation warmed everything) are measured in the same state.
   */
  private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 30);

  /** Every figure printed, repeated together at the end (the server logs each key it creates). */
  private static final StringBuilder FIGURES = new StringBuilder();

  private KeyScaleBenchmark() {}

  /**
   * The vendors' upstream, for the one part of the server that calls a vendor by itself (the Twilio
   * price reconciler, every 30 s, with a key's stored credential): a loopback port that nothing
   * listens on, so the benchmark's fake keys never reach the real Twilio and a failed pass costs
   * one refused connection, not 50 requests.
   */
  static final Map<String, java.net.URI> NO_VENDOR = Map.of("twilio", closedPort());

  private static java.net.URI closedPort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return java.net.URI.create("http://127.0.0.1:" + s.getLocalPort());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Prints a figure line and keeps it for the summary at the end. */
  private static void figure(String format, Object... args) {
    String line = String.format(format, args);
    System.out.print(line);
    synchronized (FIGURES) {
      FIGURES.append(line);
    }
  }

  private static void printSummary() {
    synchronized (FIGURES) {
      System.out.printf("%n==== KeyScaleBenchmark figures ====%n%s", FIGURES);
    }
  }

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    double rate = args.length > 2 ? Double.parseDouble(args[2]) : 100;
    Duration runFor = Duration.ofSeconds(args.length > 3 ? Long.parseLong(args[3]) : 20);
    int revocations = args.length > 4 ? Integer.parseInt(args[4]) : 100;
    if (keys < 10 || clients < 1 || revocations < 1) {
      throw new IllegalArgumentException("at least 10 keys, 1 client and 1 revocation");
    }
    figure(
        "JVM: %d processors, max heap %d MiB, arguments %s%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        ManagementFactory.getRuntimeMXBean().getInputArguments());
    if (args.length > 5 && args[5].equals("fleet")) {
      fleet(keys, clients, revocations);
      printSummary();
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
            NO_VENDOR,
            "embedded",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    figure(
        "keys %d, creating clients %d, decisions %.0f/s for %s, revocations %d, load average %.1f%n",
        keys, clients, rate, runFor, revocations, loadAverage());
    try (AutoCloseable removeDir = () -> deleteTree(dir); // after the app closed
        KeybrakeApp app = KeybrakeApp.start(settings, Clock.systemUTC())) {
      List<String> hot = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        hot.add(create(app, i).get("vault_key").asText());
      }
      ManagedChannel channel = ExtProcBenchmark.channel(app.grpcPort());
      Callable<Boolean> decide = roundRobin(channel, hot);
      LoadReport small = null;
      if (PHASES.contains("decide")) {
        small = decisions("10 keys in the registry", decide, rate, runFor);
      }

      List<String> ids = createMany(List.of(app), keys, clients);

      if (PHASES.contains("idle")) {
        idle(Duration.ofSeconds(30), keys + 10);
      }
      if (small != null) {
        LoadReport large =
            decisions(String.format("%,d keys in the registry", keys + 10), decide, rate, runFor);
        figure(
            "decision latency with %,d keys / with 10 keys: p50 %.2fx, p99 %.2fx"
                + " (target: within 1.10x)%n",
            keys + 10,
            (double) large.p50Micros() / Math.max(1, small.p50Micros()),
            (double) large.p99Micros() / Math.max(1, small.p99Micros()));
      }

      if (PHASES.contains("xds")) {
        xdsRevocations(app, ids, revocations, keys + 10);
      }
      channel.shutdownNow();
    }
    printSummary();
  }

  /**
   * Decision latency at {@code rate}: {@link #WARMUP_SECONDS} of closed-loop decisions, one
   * open-loop run at the rate (printed, not used), then the reported open-loop run. Failed
   * decisions (a 504 is ext_proc's message timeout) are printed per run.
   */
  private static LoadReport decisions(
      String label, Callable<Boolean> decide, double rate, Duration runFor) throws Exception {
    if (WARMUP_SECONDS > 0) {
      LoadGenerator.closedLoop(4, Duration.ofSeconds(WARMUP_SECONDS)).run(decide);
    }
    ExtProcBenchmark.FAILURES.clear();
    LoadReport first = LoadGenerator.openLoop(rate, runFor).run(decide);
    figure(
        "decisions at %.0f/s, %s, warm-up run (not used): %s%s%n", rate, label, first, failures());
    ExtProcBenchmark.FAILURES.clear();
    LoadReport measured = LoadGenerator.openLoop(rate, runFor).run(decide);
    figure(
        "decisions at %.0f/s, %s: %s%s; load average %.1f%n",
        rate, label, measured, failures(), loadAverage());
    return measured;
  }

  private static String failures() {
    return ExtProcBenchmark.FAILURES.isEmpty()
        ? ""
        : "; failed by answer " + new java.util.TreeMap<>(ExtProcBenchmark.FAILURES);
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
    figure(
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
    try (AutoCloseable removeDir = () -> deleteTree(dir); // closed last
        io.keybrake.harness.redis.RedisServer redis =
            io.keybrake.harness.redis.RedisServer.start();
        // closed before Redis (resources close in reverse order): the instances stop cleanly
        AutoCloseable closeApps =
            () -> {
              for (KeybrakeApp app : apps) {
                app.close();
              }
            }) {
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
                    NO_VENDOR,
                    "redis",
                    Optional.of(java.net.URI.create(redis.uri())),
                    Optional.of(pg),
                    Optional.of(kek)),
                Clock.systemUTC()));
      }
      createMany(apps, keys, clients);
      refusals(apps, revocations);
    }
  }

  private static void refusals(List<KeybrakeApp> apps, int count) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    List<EnvoyExtProcClient> ext = new ArrayList<>();
    ExecutorService prober = Executors.newFixedThreadPool(2);
    for (KeybrakeApp app : apps) {
      ManagedChannel ch = ExtProcBenchmark.channel(app.grpcPort());
      channels.add(ch);
      ext.add(new EnvoyExtProcClient(ch, ExtProcBenchmark.config()));
    }
    try {
      long[] nanos = new long[count];
      long[] fromSent = new long[count];
      AtomicLong n = new AtomicLong();
      AtomicLong servedAfter = new AtomicLong();
      for (int i = 0; i < count; i++) {
        JsonNode key = create(apps.get(0), 1_000_000 + i);
        String vault = key.get("vault_key").asText();
        for (int other = 1; other < 3; other++) {
          int status = decide(ext.get(other), vault, n.incrementAndGet());
          if (status != 201) {
            throw new IllegalStateException("warming call answered " + status);
          }
        }
        long sent = System.nanoTime();
        KeepAliveHttp.Answer r =
            client(apps.get(0)).send("DELETE", "/keys/" + key.get("id").asText(), ADMIN, null);
        long start = System.nanoTime();
        if (r.status() != 200) {
          throw new IllegalStateException("DELETE answered " + r.status() + " " + r.body());
        }
        // instances 2 and 3 probed at once, each until its first refusal
        List<Future<Long>> probes = new ArrayList<>();
        for (int other = 1; other < 3; other++) {
          EnvoyExtProcClient probe = ext.get(other);
          probes.add(
              prober.submit(
                  () -> {
                    while (true) {
                      if (System.nanoTime() - start > Duration.ofSeconds(10).toNanos()) {
                        throw new IllegalStateException("still served 10 s after its revocation");
                      }
                      int status = decide(probe, vault, n.incrementAndGet());
                      if (status == 401) {
                        return System.nanoTime();
                      }
                      if (status != 201) {
                        throw new IllegalStateException("a probe answered " + status);
                      }
                      servedAfter.incrementAndGet();
                    }
                  }));
        }
        long refused = Math.max(probes.get(0).get(), probes.get(1).get());
        nanos[i] = refused - start;
        fromSent[i] = refused - sent;
      }
      figure(
          "%d revocations on instance 1 -> first refusal (401) on both instances 2 and 3"
              + " (probed at once, each probe a whole decision), from DELETE's return: %s;"
              + " from DELETE sent: %s; probes still served after DELETE returned: %d;"
              + " load average %.1f%n",
          count, percentiles(nanos), percentiles(fromSent), servedAfter.get(), loadAverage());
    } finally {
      prober.shutdownNow();
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
    figure(
        "created %,d keys with %d clients in %.1f s: %.0f keys/s overall, first tenth %.0f/s,"
            + " last tenth %.0f/s%n",
        count, clients, total / 1e9, count / (total / 1e9), first, last);
    StringBuilder perTenth = new StringBuilder();
    for (int t = 1; t <= 10; t++) {
      perTenth.append(
          String.format(" %.2f", (cpuAtTenth[t] - cpuAtTenth[t - 1]) / 1e6 / (double) tenth));
    }
    figure(
        "  this JVM's CPU per key created (the instance(s) and their HTTP clients; not Redis or"
            + " PostgreSQL), ms by tenth:%s;"
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
  private static void idle(Duration quiet, int keys) throws Exception {
    System.gc();
    Thread.sleep(5_000); // a benchmark program, not a test: let the creation's work settle
    // the JIT compiles what the creation made hot for a while after it (on a loaded machine, for
    // tens of seconds): the idle window starts once it has compiled nothing for 2 s (at most 60 s)
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long settleStart = System.nanoTime();
    for (long before = jit.getTotalCompilationTime(); ; ) {
      Thread.sleep(2_000);
      long now = jit.getTotalCompilationTime();
      if (now == before || System.nanoTime() - settleStart > Duration.ofSeconds(60).toNanos()) {
        break;
      }
      before = now;
    }
    long settled = System.nanoTime() - settleStart;
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long jit0 = jit.getTotalCompilationTime();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Thread.sleep(quiet.toMillis());
    long elapsed = System.nanoTime() - t0;
    double cpu = (os.getProcessCpuTime() - cpu0) / (double) elapsed;
    double jitShare = (jit.getTotalCompilationTime() - jit0) * 1e6 / elapsed;
    Runtime rt = Runtime.getRuntime();
    figure(
        "idle for %s, %,d keys (after %.0f s for the JIT to settle): process CPU %.2f %% of one"
            + " core (the JIT compiled for %.2f %% of the window,"
            + " wall time); RSS %s; heap used %d MiB of %d MiB"
            + " committed; load average %.1f%n",
        quiet,
        keys,
        settled / 1e9,
        cpu * 100,
        jitShare * 100,
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
      if (!gw.awaitRouteCount(active, Duration.ofMinutes(5))) {
        throw new IllegalStateException("the gateway got " + gw.routeCount() + " routes");
      }
      long connected = System.nanoTime() - t0;
      long initialBytes = gw.pushes().stream().mapToLong(DeltaXdsClient.Push::bytes).sum();
      figure(
          "xDS gateway (delta ADS) connected: %,d routes (%,d distinct keys) in %d tables,"
              + " %d pushes, %.1f MiB in %.1f s%n",
          gw.routeCount(),
          gw.routedKeyIds().size(),
          gw.routeTables(),
          gw.pushes().size(),
          initialBytes / 1048576.0,
          connected / 1e9);
      int n = Math.min(count, ids.size());
      long[] fromReturn = new long[n];
      long[] fromSent = new long[n];
      int pushesBefore = gw.pushes().size();
      for (int i = 0; i < n; i++) {
        String id = ids.get(i * (ids.size() / n));
        long sent = System.nanoTime();
        KeepAliveHttp.Answer r = client(app).send("DELETE", "/keys/" + id, ADMIN, null);
        long revoked = System.nanoTime();
        if (r.status() != 200) {
          throw new IllegalStateException("DELETE answered " + r.status() + " " + r.body());
        }
        if (!gw.awaitUnrouted(id, Duration.ofSeconds(10))) {
          throw new IllegalStateException("route of " + id + " still there after 10 s");
        }
        long gone = System.nanoTime();
        fromReturn[i] = gone - revoked;
        fromSent[i] = gone - sent;
      }
      // pushes that trail the last removal (a coalesced second push, say) count too
      awaitNoPush(gw, Duration.ofMillis(500), Duration.ofSeconds(5));
      List<DeltaXdsClient.Push> pushes = gw.pushes().subList(pushesBefore, gw.pushes().size());
      figure(
          "%d revocations -> route gone in the gateway client, from DELETE's return: %s;"
              + " from DELETE sent: %s; load average %.1f%n",
          n, percentiles(fromReturn), percentiles(fromSent), loadAverage());
      long[] bytes = pushes.stream().mapToLong(DeltaXdsClient.Push::bytes).sorted().toArray();
      figure(
          "pushes during the revocations: %d (%s), resources per push %s, removals per push %s,"
              + " bytes per push p50 %,d max %,d%n",
          pushes.size(),
          pushes.stream()
              .collect(
                  java.util.stream.Collectors.groupingBy(
                      p -> p.typeUrl().substring(p.typeUrl().lastIndexOf('.') + 1),
                      java.util.TreeMap::new,
                      java.util.stream.Collectors.counting())),
          pushes.stream().map(DeltaXdsClient.Push::resources).distinct().sorted().toList(),
          pushes.stream().map(DeltaXdsClient.Push::removed).distinct().sorted().toList(),
          bytes.length == 0 ? 0 : bytes[bytes.length / 2],
          bytes.length == 0 ? 0 : bytes[bytes.length - 1]);
    } finally {
      xds.shutdownNow();
    }
  }

  /** Deletes the benchmark's data directory (a 100,000-key run leaves hundreds of MiB). */
  private static void deleteTree(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Waits until no push has arrived for {@code quiet}, at most {@code max}. */
  private static void awaitNoPush(DeltaXdsClient gw, Duration quiet, Duration max)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    int seen = gw.pushes().size();
    long since = System.nanoTime();
    while (System.nanoTime() - since < quiet.toNanos() && System.nanoTime() < deadline) {
      Thread.sleep(20); // a benchmark's settling wait, not a test's synchronisation
      int now = gw.pushes().size();
      if (now != seen) {
        seen = now;
        since = System.nanoTime();
      }
    }
  }

  /** "p50 x ms, p99 y ms, max z ms" of nanosecond samples. */
  private static String percentiles(long[] nanos) {
    long[] sorted = nanos.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return String.format(
        "p50 %.1f ms, p99 %.1f ms, max %.1f ms",
        sorted[n / 2] / 1e6, sorted[(int) Math.ceil(n * 0.99) - 1] / 1e6, sorted[n - 1] / 1e6);
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
        String kb = line.substring(6).trim();
        return String.format(
            "%,d MiB", Long.parseLong(kb.substring(0, kb.indexOf(' ')).trim()) >> 10);
      }
    }
    return "unknown";
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
