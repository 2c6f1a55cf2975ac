package io.keybrake.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.Settings;
import io.keybrake.harness.envoy.EnvoyExtProcClient;
import io.keybrake.harness.envoy.ExtProcConfig;
import io.keybrake.harness.envoy.HttpRequest;
import io.keybrake.harness.envoy.HttpResult;
import io.keybrake.harness.envoy.Upstream;
import io.keybrake.harness.load.LoadGenerator;
import io.keybrake.harness.load.LoadReport;
import io.keybrake.harness.redis.RedisServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives the ext_proc server with full Twilio-message exchanges (request headers, request body,
 * response headers, response body) through the Envoy-faithful client, on the embedded store, and
 * the same exchanges against a no-op processor (the floor). Prints decisions/s, p50 and p99 at a
 * fixed offered load and at saturation. A program, not a test:
 *
 * <pre>./mvnw -B -q -pl cli -am verify -Pbench -DskipTests</pre>
 *
 * Arguments: [offered rate/s, default 1000] [seconds per run, default 20] [saturation workers,
 * default 16] [{@code fleet}: Redis + PostgreSQL instead of the embedded store].
 */
public final class ExtProcBenchmark {
  private static final String SID = "AC" + "0123456789abcdef0123456789abcdef";

  /** Non-201 answers by status and reason, printed at the end. */
  static final java.util.concurrent.ConcurrentHashMap<String, Integer> FAILURES =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** 503 answers (ledger or audit log unavailable) in the phase running now. */
  private static final java.util.concurrent.atomic.AtomicLong REFUSED_503 =
      new java.util.concurrent.atomic.AtomicLong();

  private ExtProcBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("client")) {
      // the client half of a split run: ExtProcBenchmark client <kb port> <kb http port> <no-op
      // port> <vault key> <rate> <seconds> <workers>
      clientPhases(ClientRun.parse(args));
      return;
    }
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 1000;
    Duration runFor = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 20);
    int workers = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    boolean fleet = args.length > 3 && args[3].equals("fleet");
    Path dir = Files.createTempDirectory("keybrake-bench");
    RedisServer redis = fleet ? RedisServer.start() : null;
    String pg = fleet ? freshSchema() : null;
    Settings settings =
        new Settings(
            Optional.of("bench-admin-key-0123456789"),
            dir,
            0,
            0,
            0,
            KeyScaleBenchmark.NO_VENDOR, // the price reconciler must not reach the real Twilio
            fleet ? "redis" : "embedded",
            fleet ? Optional.of(URI.create(redis.uri())) : Optional.empty(),
            Optional.ofNullable(pg),
            fleet
                ? Optional.of(
                    Base64.getEncoder()
                        .encodeToString(
                            "bench-kek-0123456789abcdef012345".getBytes(StandardCharsets.UTF_8)))
                : Optional.empty());
    System.out.println(
        fleet
            ? "store: Redis (child redis-server) + PostgreSQL (fresh schema) + write-ahead audit file"
            : "store: embedded SQLite");
    Server noop =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new NoopProcessor())
            .build()
            .start();
    try (KeybrakeApp app = KeybrakeApp.start(settings, Clock.systemUTC())) {
      String vaultKey = createKey(app);
      ClientRun run =
          new ClientRun(
              app.grpcPort(), app.httpPort(), noop.getPort(), vaultKey, rate, runFor, workers);
      if (Boolean.getBoolean("bench.split")) {
        splitRun(run);
      } else {
        clientPhases(run);
      }
      if (fleet) {
        io.keybrake.store.redis.LatencyBuckets l =
            ((io.keybrake.store.redis.RedisLedger)
                    io.keybrake.cli.metrics.OpsMetrics.unwrap(app.store().ledger()))
                .store()
                .commandLatency();
        System.out.printf(
            "  %-40s %d commands, p50 <= %.3f ms, p99 <= %.3f ms, p99.9 <= %.3f ms%n",
            "Redis round trip (whole run)",
            l.count(),
            l.percentileMicros(0.5) / 1000.0,
            l.percentileMicros(0.99) / 1000.0,
            l.percentileMicros(0.999) / 1000.0);
        scriptFloor(redis.uri(), rate, runFor, workers);
        walFloor(dir.resolve("wal-floor"), rate, runFor, workers);
      }
    } finally {
      noop.shutdownNow();
      if (redis != null) {
        redis.close();
      }
    }
  }

  /**
   * {@code -Dbench.split=true}: the client in a JVM of its own, as Envoy is a process of its own.
   * With {@code -Dbench.pin=true} as well, the client JVM runs on CPU 1 and this JVM (the servers)
   * on CPU 0 ({@code taskset}); Redis and PostgreSQL are not pinned.
   */
  private static void splitRun(ClientRun run) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    if (Boolean.getBoolean("bench.pin")) {
      long pid = ProcessHandle.current().pid();
      new ProcessBuilder("taskset", "-a", "-p", "-c", "0", Long.toString(pid))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
      command.addAll(List.of("taskset", "-c", "1"));
      System.out.println("split: servers pinned to CPU 0, client JVM on CPU 1");
    } else {
      System.out.println("split: the client in a JVM of its own");
    }
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms512m",
            "-Xmx512m",
            "-Dbench.clock=" + Boolean.getBoolean("bench.clock"),
            "-Dbench.slowMs=" + Long.getLong("bench.slowMs", 0),
            "-Dbench.warmupSeconds=" + Long.getLong("bench.warmupSeconds", 60),
            "-cp",
            System.getProperty("java.class.path"),
            ExtProcBenchmark.class.getName(),
            "client"));
    command.addAll(run.args());
    int exit = new ProcessBuilder(command).inheritIO().start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException("the client JVM exited with " + exit);
    }
  }

  /**
   * What the client half needs: Keybrake's gRPC and HTTP ports, the no-op processor's port, the
   * vault key, and the rows' rate, length and saturation workers.
   */
  record ClientRun(
      int kbPort,
      int kbHttpPort,
      int noopPort,
      String vaultKey,
      double rate,
      Duration runFor,
      int workers) {

    /** As the client JVM's arguments after {@code client}. */
    List<String> args() {
      return List.of(
          Integer.toString(kbPort),
          Integer.toString(kbHttpPort),
          Integer.toString(noopPort),
          vaultKey,
          Double.toString(rate),
          Long.toString(runFor.toSeconds()),
          Integer.toString(workers));
    }

    /** Reads {@link #args()} from {@code args[1..]} ({@code args[0]} is {@code client}). */
    static ClientRun parse(String[] args) {
      return new ClientRun(
          Integer.parseInt(args[1]),
          Integer.parseInt(args[2]),
          Integer.parseInt(args[3]),
          args[4],
          Double.parseDouble(args[5]),
          Duration.ofSeconds(Long.parseLong(args[6])),
          Integer.parseInt(args[7]));
    }
  }

  /** The client's part: warm-up, then Keybrake and the no-op floor at the rate and saturated. */
  private static void clientPhases(ClientRun run) throws Exception {
    ManagedChannel kb = channel(run.kbPort());
    ManagedChannel floor = channel(run.noopPort());
    Callable<Boolean> keybrake =
        slowCalls(exchange(new EnvoyExtProcClient(kb, config()), run.vaultKey()));
    Callable<Boolean> noopExchange =
        exchange(new EnvoyExtProcClient(floor, config()), run.vaultKey());

    // 60 s by default: on 2 cores the JIT compiler is still busy after 10-20 s of load, and the
    // open-loop run that comes first would measure it (-Dbench.warmupSeconds to change). Each
    // system is measured right after its own warm-up: a minute of the other's load in between left
    // Keybrake's compiled code to be thrown away and compiled again in the first seconds of its
    // rows (its decision path runs code the warm-up never reached once idle, such as an expired key
    // cache entry), so the row measured that, not the steady state (BENCHMARKS.md, ninth session)
    Duration warmUp = Duration.ofSeconds(Long.getLong("bench.warmupSeconds", 60));
    System.out.printf(
        "%nfull Twilio-message exchange over ext_proc (gRPC, loopback), %s per row, each system"
            + " warmed up right before its rows (%s saturated, then at the offered rate until"
            + " Keybrake's audit backlog is drained, and %s more)%n",
        run.runFor(), warmUp, RATE_WARM_UP);
    LoadGenerator.closedLoop(run.workers(), warmUp).run(keybrake);
    untilDrained(run.rate(), keybrake, run.kbHttpPort());
    LoadGenerator.openLoop(run.rate(), RATE_WARM_UP).run(keybrake);
    row(
        "keybrake, offered " + (int) run.rate() + "/s",
        () -> LoadGenerator.openLoop(run.rate(), run.runFor()).run(keybrake));
    REFUSED_503.set(0);
    row(
        "keybrake, saturation (" + run.workers() + " workers)",
        () -> LoadGenerator.closedLoop(run.workers(), run.runFor()).run(keybrake));
    System.out.printf("  %-40s %d%n", "503 answers at saturation", REFUSED_503.get());
    LoadGenerator.closedLoop(run.workers(), warmUp).run(noopExchange);
    LoadGenerator.openLoop(run.rate(), RATE_WARM_UP).run(noopExchange);
    row(
        "no-op,    offered " + (int) run.rate() + "/s",
        () -> LoadGenerator.openLoop(run.rate(), run.runFor()).run(noopExchange));
    row(
        "no-op,    saturation (" + run.workers() + " workers)",
        () -> LoadGenerator.closedLoop(run.workers(), run.runFor()).run(noopExchange));
    SLOW.forEach((second, count) -> System.out.printf("  slow calls at %s: %d%n", second, count));
    if (!FAILURES.isEmpty()) {
      System.out.println("failed exchanges by answer: " + FAILURES);
    }
    kb.shutdownNow();
    floor.shutdownNow();
  }

  /**
   * The fleet floor in the same run: the reserve script alone ({@link
   * io.keybrake.store.redis.RedisLedger#reserve}, three counters like a real call: key daily, key
   * lifetime, a fleet budget) on its own connection to the same Redis, at the same offered rate and
   * with the same number of saturation workers.
   */
  private static void scriptFloor(String redisUri, double rate, Duration runFor, int workers)
      throws Exception {
    java.time.Instant day = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    long cap = Long.MAX_VALUE / 4;
    List<io.keybrake.core.ledger.BudgetLimit> limits =
        List.of(
            new io.keybrake.core.ledger.BudgetLimit(
                "key_daily", "key:floor", cap, day, day.plus(Duration.ofDays(1))),
            new io.keybrake.core.ledger.BudgetLimit(
                "key_total", "key:floor", cap, java.time.Instant.EPOCH, java.time.Instant.MAX),
            new io.keybrake.core.ledger.BudgetLimit(
                "fleet", "budget:floor", cap, day, day.plus(Duration.ofDays(1))));
    try (io.keybrake.store.redis.RedisStore store =
            io.keybrake.store.redis.RedisStore.connect(
                redisUri, io.keybrake.store.redis.RedisSettings.defaults(), Clock.systemUTC());
        io.keybrake.store.redis.RedisLedger ledger =
            new io.keybrake.store.redis.RedisLedger(store, now -> List.of())) {
      AtomicLong n = new AtomicLong();
      Callable<Boolean> reserve =
          () ->
              ledger.reserve(
                      new io.keybrake.core.ledger.ReserveRequest(
                          "rsv_floor_" + n.incrementAndGet(),
                          "key_floor",
                          limits,
                          1_000,
                          java.time.Instant.now()))
                  instanceof io.keybrake.core.ledger.ReserveOutcome.Reserved;
      floor("reserve script alone", reserve, rate, runFor, workers);
    }
  }

  /**
   * The durability floor in the same run: appends of a typical decision row to a write-ahead audit
   * file alone (each acknowledged once forced, as every fleet decision is), drained to nowhere.
   */
  private static void walFloor(Path walDir, double rate, Duration runFor, int workers)
      throws Exception {
    io.keybrake.core.audit.AuditLog unread =
        new io.keybrake.core.audit.AuditLog() {
          @Override
          public io.keybrake.core.audit.AuditRecord append(io.keybrake.core.audit.AuditEntry e) {
            throw new UnsupportedOperationException();
          }

          @Override
          public List<io.keybrake.core.audit.AuditRecord> query(
              io.keybrake.core.audit.AuditQuery q) {
            throw new UnsupportedOperationException();
          }

          @Override
          public List<io.keybrake.core.audit.AuditRecord> unpricedEstimates(
              String vendor, java.time.Instant since, long afterSeq, int limit) {
            throw new UnsupportedOperationException();
          }

          @Override
          public io.keybrake.core.audit.ChainVerification verify() {
            throw new UnsupportedOperationException();
          }
        };
    try (io.keybrake.store.wal.WriteAheadAuditLog wal =
        io.keybrake.store.wal.WriteAheadAuditLog.open(
            walDir, batch -> {}, unread, io.keybrake.store.wal.WalSettings.DEFAULTS)) {
      AtomicLong n = new AtomicLong();
      Callable<Boolean> append =
          () -> {
            wal.append(
                new io.keybrake.core.audit.AuditEntry(
                    java.time.Instant.now(),
                    "key_0123456789abcdefghij",
                    "bench",
                    Map.of("team", "support"),
                    "twilio",
                    "POST",
                    "/2010-04-01/Accounts/{AccountSid}/Messages.json",
                    "+1415555****",
                    64,
                    7_900,
                    null,
                    "SM0123456789abcdef0123456789abcdef",
                    "allowed",
                    null,
                    201,
                    n.incrementAndGet() * 7_900,
                    900,
                    "estimated",
                    "rsv_" + n.get()));
            return true;
          };
      floor("write-ahead append alone", append, rate, runFor, workers);
    }
  }

  /** A 5 s warm-up, then {@code op} at the offered rate and at saturation. */
  private static void floor(
      String label, Callable<Boolean> op, double rate, Duration runFor, int workers)
      throws Exception {
    LoadGenerator.closedLoop(workers, Duration.ofSeconds(5)).run(op);
    row(
        label + ", offered " + (int) rate + "/s",
        () -> LoadGenerator.openLoop(rate, runFor).run(op));
    row(
        label + ", saturation (" + workers + " workers)",
        () -> LoadGenerator.closedLoop(workers, runFor).run(op));
  }

  /**
   * A fresh PostgreSQL schema for the fleet run (KEYBRAKE_TEST_POSTGRES_URL, else its own server).
   */
  private static String freshSchema() throws Exception {
    String base = io.keybrake.store.postgres.TestPostgres.baseUrl();
    String schema = "kb_bench_" + System.currentTimeMillis();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(base);
        java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  /**
   * The last part of each warm-up: the open loop at the offered rate, the next row's own workload,
   * which follows it without a pause. After the saturating part alone the row's first second held a
   * burst of slow exchanges (the workers' backlog); after a 2 s pause, another (110 over 15 ms in
   * its first second, against 0-13 a second after it): on two busy cores, a process that went idle
   * answers its first calls slowly. The no-op processor gets the same warm-up.
   */
  private static final Duration RATE_WARM_UP = Duration.ofSeconds(10);

  /**
   * Runs {@code keybrake} at the offered rate, 5 s at a time, until the audit entries still waiting
   * in its write-ahead file ({@code keybrake_audit_wal_pending_entries} on {@code /metrics}) are
   * fewer than a second of the rate (at most 2 minutes). The saturating warm-up leaves a backlog of
   * audit rows for PostgreSQL (about a minute of the saturated rate) that the drain sends while the
   * next phase runs: without this, the offered-rate row measured the drain of the warm-up's backlog
   * on the same two cores and disk (the fleet row's first 7 s held 180-650 exchanges over 15 ms a
   * second, then 0-13), not the steady state at that rate. The embedded store has no backlog (0).
   */
  private static void untilDrained(double rate, Callable<Boolean> keybrake, int httpPort)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    java.net.http.HttpRequest metrics =
        java.net.http.HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
            .build();
    long start = System.nanoTime();
    long pending = pendingAudit(http, metrics);
    long first = pending;
    while (pending >= rate && System.nanoTime() - start < Duration.ofMinutes(2).toNanos()) {
      LoadGenerator.openLoop(rate, Duration.ofSeconds(5)).run(keybrake);
      pending = pendingAudit(http, metrics);
    }
    System.out.printf(
        "  audit backlog after the saturated warm-up: %d entries; %d left after %d s at the offered"
            + " rate%n",
        first, pending, Duration.ofNanos(System.nanoTime() - start).toSeconds());
  }

  private static long pendingAudit(HttpClient http, java.net.http.HttpRequest metrics)
      throws Exception {
    String body = http.send(metrics, HttpResponse.BodyHandlers.ofString()).body();
    for (String line : body.split("\n")) {
      if (line.startsWith("keybrake_audit_wal_pending_entries")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0; // the embedded store: no write-ahead file
  }

  /** Per second (wall clock), Keybrake exchanges slower than {@code -Dbench.slowMs}. */
  private static final Map<String, Integer> SLOW =
      new java.util.concurrent.ConcurrentSkipListMap<>();

  /**
   * {@code -Dbench.slowMs=N}: counts, per second of the wall clock, the exchanges that took more
   * than N ms (printed at the end), to see whether a row's tail is spread out or one burst.
   */
  private static Callable<Boolean> slowCalls(Callable<Boolean> exchange) {
    long slowNanos = Duration.ofMillis(Long.getLong("bench.slowMs", 0)).toNanos();
    if (slowNanos == 0) {
      return exchange;
    }
    return () -> {
      long start = System.nanoTime();
      boolean ok = exchange.call();
      if (System.nanoTime() - start > slowNanos) {
        SLOW.merge(
            java.time.LocalTime.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
            1,
            Integer::sum);
      }
      return ok;
    };
  }

  static ExtProcConfig config() {
    return ExtProcConfig.defaults()
        .withMessageTimeout(Duration.ofMillis(500))
        .withMaxMessageTimeout(Duration.ofSeconds(5));
  }

  /**
   * The client's channel. Its callbacks only queue the answers, so they run on the channel's event
   * loop ({@code directExecutor}): Envoy answers on its worker thread too, and a thread hop per
   * message in the client would bill the floor and Keybrake alike for CPU that Envoy does not
   * spend. {@code -Dbench.clientThreadHop=true} restores grpc-java's default executor (for A/B).
   */
  static ManagedChannel channel(int port) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
    if (!Boolean.getBoolean("bench.clientThreadHop")) {
      b.directExecutor();
    }
    return b.build();
  }

  /**
   * Runs one row and prints it with the CPU time this process spent per exchange during it: the
   * client's and both servers' together (the client's alone in a split run), not Redis's or
   * PostgreSQL's. A figure the machine's other tenants barely move, unlike latency: the difference
   * between Keybrake's row and the no-op's at the same rate is the decision path's own CPU.
   */
  private static void row(String label, Callable<LoadReport> run) throws Exception {
    long cpu = processCpuNanos();
    LoadReport r = run.call();
    long perExchange = (processCpuNanos() - cpu) / Math.max(1, r.completed() + r.failed());
    if (Boolean.getBoolean("bench.clock")) {
      System.out.printf("  [%s]", java.time.LocalTime.now());
    }
    System.out.printf("  %-40s %s, cpu %d µs/exchange%n", label, r, perExchange / 1000);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static Callable<Boolean> exchange(EnvoyExtProcClient client, String vaultKey) {
    AtomicLong n = new AtomicLong();
    String auth =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((vaultKey + ":x").getBytes(StandardCharsets.UTF_8));
    Upstream twilio =
        req ->
            HttpResult.of(
                201,
                List.of(Map.entry("content-type", "application/json")),
                "{\"sid\":\"SM0123456789abcdef0123456789abcdef\",\"status\":\"queued\","
                    + "\"price\":null,\"price_unit\":\"USD\",\"num_segments\":\"1\"}");
    return () -> {
      // a unique body per call: duplicates would be replays, not decisions
      String body =
          "To=%2B14155552671&From=%2B15005550006&Body="
              + URLEncoder.encode(
                  "benchmark message " + n.incrementAndGet(), StandardCharsets.UTF_8);
      HttpRequest req =
          new HttpRequest(
              "POST",
              "/2010-04-01/Accounts/" + vaultKey + "/Messages.json",
              "api.twilio.com",
              "https",
              List.of(
                  Map.entry("authorization", auth),
                  Map.entry("content-type", "application/x-www-form-urlencoded")),
              body.getBytes(StandardCharsets.UTF_8));
      HttpResult r = client.exchange(req, twilio);
      if (r.status() != 201) {
        if (r.status() == 503) {
          REFUSED_503.incrementAndGet();
        }
        FAILURES.merge(
            r.status() + " " + r.trace().localError().orElse(r.bodyText()), 1, Integer::sum);
        return false;
      }
      return true;
    };
  }

  private static String createKey(KeybrakeApp app) throws Exception {
    String json =
        "{\"name\":\"bench\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
            + SID
            + "\",\"twilio_auth_token\":\"token\",\"policy\":{\"daily_usd_cap\":1000000,"
            + "\"allowed_prefixes\":[\"+1\"],\"dedup_window_seconds\":60}}";
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + app.httpPort() + "/keys"))
                    .header("X-Admin-Key", "bench-admin-key-0123456789")
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    JsonNode node = new ObjectMapper().readTree(r.body());
    return node.get("vault_key").asText();
  }
}
