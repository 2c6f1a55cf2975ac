package io.keybrake.store.redis;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code AnswerWatch} remembers when the Redis connection last delivered an answer, so a command
 * that passed its deadline can tell a slow Redis (or a busy process: other commands were answered
 * meanwhile) from a silent one (nothing at all came back while it waited). Only silence is evidence
 * that Redis is unreachable. Thread-safe; {@link #answered()} is one volatile read on the hot path
 * and a write at most once per millisecond.
 */
final class AnswerWatch {
  private static final long RESOLUTION_NANOS = 1_000_000;

  private final LongSupplier nanoTicker;
  private final AtomicLong lastAnswerNanos;

  AnswerWatch(LongSupplier nanoTicker) {
    this.nanoTicker = nanoTicker;
    this.lastAnswerNanos = new AtomicLong(nanoTicker.getAsLong());
  }

  /** An answer (a value or a Redis error) just arrived. */
  void answered() {
    long now = nanoTicker.getAsLong();
    if (now - lastAnswerNanos.get() >= RESOLUTION_NANOS) {
      lastAnswerNanos.set(now);
    }
  }

  /**
   * Whether any answer arrived at or after {@code sentNanos} (within the watch's resolution of one
   * millisecond).
   */
  boolean answeredSince(long sentNanos) {
    return lastAnswerNanos.get() - sentNanos >= -RESOLUTION_NANOS;
  }
}
