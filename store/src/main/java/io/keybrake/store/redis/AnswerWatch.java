package io.keybrake.store.redis;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code AnswerWatch} remembers when the Redis connection last delivered an answer, so a command
 * that passed its deadline can tell a slow Redis (or a busy process: other commands were answered
 * meanwhile) from a silent one (nothing at all came back while it waited). Only silence is evidence
 * that Redis is unreachable. Thread-safe; {@link #answered()} is one volatile write (answers are
 * completed on the connection's event loop, so writers rarely contend).
 */
final class AnswerWatch {
  private final LongSupplier nanoTicker;
  private final AtomicLong lastAnswerNanos;

  AnswerWatch(LongSupplier nanoTicker) {
    this.nanoTicker = nanoTicker;
    this.lastAnswerNanos = new AtomicLong(nanoTicker.getAsLong());
  }

  /** An answer (a value or a Redis error) just arrived. */
  void answered() {
    lastAnswerNanos.set(nanoTicker.getAsLong());
  }

  /** Whether any answer arrived after {@code sentNanos}. */
  boolean answeredSince(long sentNanos) {
    return lastAnswerNanos.get() - sentNanos > 0;
  }
}
