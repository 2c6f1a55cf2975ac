package io.keybrake.harness.redis;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.store.redis.RedisKeys;
import io.keybrake.store.redis.RedisLedger;
import io.keybrake.store.redis.RedisSettings;
import io.keybrake.store.redis.RedisStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * The floor of the fleet benchmark: the reserve script alone, at saturation. Prints ops/s and
 * p50/p99 of (1) {@code EVALSHA reserve.lua} in a lettuce async loop with a fixed number of
 * commands in flight on one connection, and (2) {@link RedisLedger#reserve} from many threads.
 * Every reservation touches three counters (key daily, key lifetime, fleet budget), as a real call
 * does. A program, not a test:
 *
 * <pre>
 * ReserveScriptBenchmark [redis-url|-] [seconds] [in-flight] [threads]
 * </pre>
 *
 * With {@code -} (the default) it starts its own {@code redis-server} on a free port.
 */
public final class ReserveScriptBenchmark {
  private static final long CAP = Long.MAX_VALUE / 4;

  private ReserveScriptBenchmark() {}

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "-";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 64;
    RedisServer server = "-".equals(url) ? RedisServer.start() : null;
    String uri = server != null ? server.uri() : url;
    try {
      Instant day = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
      List<BudgetLimit> limits =
          List.of(
              new BudgetLimit("key_daily", "key:bench", CAP, day, day.plus(Duration.ofDays(1))),
              new BudgetLimit("key_total", "key:bench", CAP, Instant.EPOCH, Instant.MAX),
              new BudgetLimit("eng-fleet", "budget:eng", CAP, day, day.plus(Duration.ofDays(1))));
      System.out.printf(
          "reserve.lua alone, %d in flight on one connection, %d s:%n", inFlight, seconds);
      scriptAlone(uri, limits, seconds, inFlight);
      System.out.printf(
          "RedisLedger.reserve, %d threads on one RedisStore, %d s:%n", threads, seconds);
      throughLedger(uri, limits, seconds, threads);
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private static void scriptAlone(String uri, List<BudgetLimit> limits, int seconds, int inFlight)
      throws Exception {
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisAsyncCommands<String, String> redis = connection.async();
      String source = RedisFixtures.script("reserve");
      String sha = redis.scriptLoad(source).get();
      redis.set(RedisKeys.EPOCH, "bench").get();
      String[] counters = new String[limits.size()];
      String[] tail = new String[2 * limits.size()];
      for (int i = 0; i < limits.size(); i++) {
        counters[i] = RedisKeys.counter(limits.get(i).counterId());
        tail[2 * i] = Long.toString(CAP);
        BudgetLimit l = limits.get(i);
        tail[2 * i + 1] =
            l.windowEnd().equals(Instant.MAX)
                ? "0"
                : Long.toString(l.windowEnd().plus(Duration.ofHours(1)).toEpochMilli());
      }
      Recorder latency = new Recorder(3);
      AtomicLong ids = new AtomicLong();
      AtomicLong done = new AtomicLong();
      long end = System.nanoTime() + Duration.ofSeconds(seconds + 2).toNanos();
      long measureFrom = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      CountDownLatch finished = new CountDownLatch(inFlight);
      AtomicLong measuredOps = new AtomicLong();
      for (int s = 0; s < inFlight; s++) {
        new Object() {
          void next() {
            long start = System.nanoTime();
            if (start > end) {
              finished.countDown();
              return;
            }
            long now = System.currentTimeMillis();
            String[] keys = new String[2 + counters.length];
            keys[0] = RedisKeys.EPOCH;
            keys[1] = RedisKeys.reservation("bench_" + ids.incrementAndGet());
            System.arraycopy(counters, 0, keys, 2, counters.length);
            String[] argv = new String[5 + tail.length];
            argv[0] = "1";
            argv[1] = Long.toString(now);
            argv[2] = Long.toString(now + 60_000);
            System.arraycopy(tail, 0, argv, 3, tail.length);
            argv[argv.length - 2] = "3600000"; // how long a refusal is kept
            argv[argv.length - 1] = "key_bench";
            redis
                .<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, argv)
                .whenComplete(
                    (r, e) -> {
                      long t = System.nanoTime();
                      if (start >= measureFrom) {
                        latency.recordValue(t - start);
                        measuredOps.incrementAndGet();
                      }
                      done.incrementAndGet();
                      next();
                    });
          }
        }.next();
      }
      finished.await();
      print(latency, measuredOps.get(), seconds);
    } finally {
      client.shutdown();
    }
  }

  private static void throughLedger(String uri, List<BudgetLimit> limits, int seconds, int threads)
      throws Exception {
    try (RedisStore store =
            RedisStore.connect(
                uri,
                RedisSettings.defaults().withCommandTimeout(Duration.ofSeconds(1)),
                Clock.systemUTC());
        RedisLedger ledger = new RedisLedger(store, now -> List.of())) {
      ledger.rebuild();
      Recorder latency = new Recorder(3);
      AtomicLong ops = new AtomicLong();
      long measureFrom = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      long end = measureFrom + Duration.ofSeconds(seconds).toNanos();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> workers = new ArrayList<>();
      AtomicLong ids = new AtomicLong();
      for (int t = 0; t < threads; t++) {
        workers.add(
            pool.submit(
                () -> {
                  while (true) {
                    long start = System.nanoTime();
                    if (start > end) {
                      return null;
                    }
                    ledger.reserve(
                        new ReserveRequest(
                            "ledger_" + ids.incrementAndGet(), "bench", limits, 1, Instant.now()));
                    if (start >= measureFrom) {
                      latency.recordValue(System.nanoTime() - start);
                      ops.incrementAndGet();
                    }
                  }
                }));
      }
      for (Future<?> w : workers) {
        w.get();
      }
      pool.shutdown();
      print(latency, ops.get(), seconds);
    }
  }

  private static void print(Recorder latency, long ops, int seconds) {
    var h = latency.getIntervalHistogram();
    System.out.printf(
        "  %,d ops/s  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  (%,d ops)%n",
        ops / seconds,
        h.getValueAtPercentile(50) / 1e6,
        h.getValueAtPercentile(99) / 1e6,
        h.getValueAtPercentile(99.9) / 1e6,
        ops);
  }
}
