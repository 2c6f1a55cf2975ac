package io.keybrake.harness.redis;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.RecordedSpend;
import io.keybrake.core.ledger.SpendRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake record: what the tests say was reserved or settled. Can hold {@link #openSpend} until
 * {@link #open()} so a test sees the ledger refuse while it rebuilds. Thread-safe.
 */
final class InMemorySpendRecord implements SpendRecord {
  private final List<RecordedSpend> spend = new ArrayList<>();
  private final AtomicInteger reads = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(0);

  synchronized void add(RecordedSpend s) {
    spend.add(s);
  }

  /** Makes {@link #openSpend} wait until {@link #open()}. */
  void hold() {
    gate = new CountDownLatch(1);
  }

  void open() {
    gate.countDown();
  }

  int reads() {
    return reads.get();
  }

  @Override
  public List<RecordedSpend> openSpend(Instant now) {
    reads.incrementAndGet();
    try {
      if (!gate.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never opened the record");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    List<RecordedSpend> out = new ArrayList<>();
    synchronized (this) {
      for (RecordedSpend s : spend) {
        if (s.limits().stream().anyMatch(l -> l.windowEnd().isAfter(now))) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /** Settled and reserved sums the record holds for one counter. */
  synchronized long[] sums(BudgetLimit limit) {
    long[] out = new long[2];
    for (RecordedSpend s : spend) {
      if (s.limits().stream().anyMatch(l -> l.counterId().equals(limit.counterId()))) {
        out[s.settled() ? 0 : 1] += s.micros();
      }
    }
    return out;
  }
}
