package io.keybrake.store;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.ReserveRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prints the embedded store's cost of one exchange (claim + reserve + settle + complete + audit
 * append) at a fixed arrival rate: {@code EmbeddedStoreBenchmark [ratePerSecond] [seconds]}. A
 * program, not a test.
 */
public final class EmbeddedStoreBenchmark {
  private EmbeddedStoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path dir = Files.createTempDirectory("keybrake-bench");
    Instant day = Instant.parse("2026-01-01T00:00:00Z");
    List<BudgetLimit> limits =
        List.of(
            new BudgetLimit("key_daily", "key:k", Long.MAX_VALUE / 4, day, day.plusSeconds(86400)),
            new BudgetLimit("key_total", "key:k", Long.MAX_VALUE / 4, Instant.EPOCH, Instant.MAX));
    StoredResponse response =
        new StoredResponse(
            201, List.of(Map.entry("content-type", "application/json")), new byte[600]);
    try (EmbeddedStore store = EmbeddedStore.open(dir, Optional.empty(), Clock.systemUTC())) {
      int total = rate * seconds;
      long[] latencies = new long[total];
      AtomicInteger done = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(32);
      long start = System.nanoTime();
      long interval = 1_000_000_000L / rate;
      for (int i = 0; i < total; i++) {
        long due = start + i * interval;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        int n = i;
        pool.execute(
            () -> {
              Instant now = Instant.now();
              String fp = "fp-" + n;
              Claim.Won won = (Claim.Won) store.dedupCache().claim(fp, now, now.plusSeconds(60));
              store.ledger().reserve(new ReserveRequest("r-" + n, "k", limits, 7_900, now));
              store.ledger().settle("r-" + n, 7_900);
              store.dedupCache().complete(fp, won.token(), response);
              store.auditLog().append(entry(now, n));
              latencies[n] = System.nanoTime() - due;
              done.incrementAndGet();
            });
      }
      pool.shutdown();
      pool.awaitTermination(5, TimeUnit.MINUTES);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long[] warm = Arrays.copyOfRange(latencies, total / 2, total);
      Arrays.sort(warm);
      System.out.printf(
          "second half: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
          warm[warm.length / 2] / 1e6,
          warm[(int) (warm.length * 0.99)] / 1e6,
          warm[(int) (warm.length * 0.999)] / 1e6,
          warm[warm.length - 1] / 1e6);
      Arrays.sort(latencies);
      System.out.printf(
          "%d exchanges in %.2f s (%.0f/s); latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms,"
              + " max %.3f ms; audit ok=%s%n",
          done.get(),
          elapsed,
          done.get() / elapsed,
          latencies[total / 2] / 1e6,
          latencies[(int) (total * 0.99)] / 1e6,
          latencies[(int) (total * 0.999)] / 1e6,
          latencies[total - 1] / 1e6,
          store.auditLog().verify().ok());
    }
  }

  private static AuditEntry entry(Instant at, int n) {
    return new AuditEntry(
        at,
        "k",
        "agent",
        Map.of("team", "ops", "env", "prod"),
        "twilio",
        "POST",
        "/2010-04-01/Accounts/{sid}/Messages.json",
        "+1******4567",
        312,
        7_900,
        7_900L,
        "SM" + n,
        "allowed",
        null,
        201,
        7_900,
        1_000,
        "settled",
        "r-" + n);
  }
}
