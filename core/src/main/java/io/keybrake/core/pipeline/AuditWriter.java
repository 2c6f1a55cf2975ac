package io.keybrake.core.pipeline;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.money.Micros;
import io.keybrake.core.secret.SecretMask;
import io.keybrake.core.store.StoreUnavailableException;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 9: turns an exchange into its one audit row. A row the audit log refuses is not dropped: it
 * waits in memory, in order, and is written before any later row; while rows wait, {@link
 * #writable()} is false and the pipeline forwards nothing (no spend without a record). Every later
 * decision retries the backlog first, so the log recovers with the next call once the store
 * answers. The backlog is bounded ({@link #MAX_BACKLOG}); past it rows are dropped with an error.
 * Thread-safe.
 */
final class AuditWriter {
  private static final Logger log = LoggerFactory.getLogger(AuditWriter.class);

  /** Most rows kept in memory while the audit log cannot be written. */
  static final int MAX_BACKLOG = 100_000;

  private final AuditLog audit;
  private final LongSupplier nanoTicker;
  private final ConcurrentLinkedQueue<AuditEntry> backlog = new ConcurrentLinkedQueue<>();
  private final AtomicInteger backlogSize = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final ReentrantLock flushing = new ReentrantLock();

  AuditWriter(AuditLog audit, LongSupplier nanoTicker) {
    this.audit = audit;
    this.nanoTicker = nanoTicker;
  }

  void blocked(Exchange ex, Refusal refusal) {
    blocked(ex, refusal, 0);
  }

  /**
   * A refusal, with the spend at the moment of it ({@code spent}, micro-dollars). A refusal by a
   * budget ({@code cap_exhausted}) records that budget's spend, cap and name, as its 429 body says
   * them; any other refusal of a known key records the key's daily budget, whose spend {@code
   * spent} is; a refusal whose spend could not be read ({@code ledger_unavailable}) names no cap.
   */
  void blocked(Exchange ex, Refusal refusal, long spent) {
    Object cap = refusal.details().get("cap_usd");
    Object budget = refusal.details().get("budget");
    if (cap instanceof BigDecimal usd && budget instanceof String name) {
      write(
          ex,
          "blocked",
          refusal.code().wireName(),
          refusal.status(),
          null,
          null,
          "none",
          spent,
          Micros.fromUsd(usd),
          name);
      return;
    }
    boolean spendKnown = refusal.code() != RefusalCode.LEDGER_UNAVAILABLE;
    write(
        ex,
        "blocked",
        refusal.code().wireName(),
        refusal.status(),
        null,
        null,
        "none",
        spent,
        spendKnown ? dailyCap(ex) : null,
        spendKnown && ex.key != null ? KeyBudgets.KEY_DAILY : null);
  }

  void replayed(Exchange ex, int status) {
    replayed(ex, status, 0);
  }

  /**
   * A replay, with the key's daily spend as it stands at the moment of the replay ({@code spent},
   * micro-dollars; the replay itself costs nothing) and the key's daily cap.
   */
  void replayed(Exchange ex, int status, long spent) {
    write(
        ex,
        "replayed",
        "duplicate",
        status,
        0L,
        null,
        "none",
        spent,
        dailyCap(ex),
        ex.key == null ? null : KeyBudgets.KEY_DAILY);
  }

  /**
   * A forwarded call, with the spend after it of the budget with the least room ({@code spent}) and
   * that budget's cap; which budget that was the reservation does not say, so the row names none.
   */
  void allowed(
      Exchange ex, int status, Long actual, String objectId, String settlement, long spent) {
    // guards: a shadow-mode call the policy would have refused says so in its reason
    String reason =
        ex.wouldRefuse == null ? null : "would_refuse:" + ex.wouldRefuse.code().wireName();
    write(
        ex,
        "allowed",
        reason,
        status,
        actual,
        objectId,
        settlement,
        spent,
        ex.reservation == null ? null : ex.reservation.capMicros(),
        null);
  }

  private static Long dailyCap(Exchange ex) {
    return ex.key == null ? null : ex.key.policy().dailyCapMicros();
  }

  private void write(
      Exchange ex,
      String decision,
      String reason,
      int status,
      Long actual,
      String objectId,
      String settlement,
      long spent,
      Long cap,
      String budget) {
    RequestHead head = ex.head;
    AuditEntry entry =
        new AuditEntry(
            ex.startedAt,
            ex.key == null ? null : ex.key.id(),
            ex.key == null ? null : ex.key.name(),
            ex.key == null ? Map.of() : ex.key.labels(),
            ex.key == null ? null : ex.key.vendor(),
            head == null ? null : head.method().toUpperCase(Locale.ROOT),
            ex.match == null ? SecretMask.mask(ex.path) : ex.match.endpoint().pathTemplate(),
            destinations(ex),
            ex.bodyBytes,
            ex.estimate == null ? 0 : ex.estimate.micros(),
            actual,
            objectId,
            decision,
            reason,
            status,
            spent,
            (nanoTicker.getAsLong() - ex.startNanos) / 1000,
            settlement,
            ex.reservation == null ? null : ex.reservation.reservationId(),
            cap,
            budget);
    if (backlogSize.get() == 0) {
      try {
        audit.append(entry);
        return;
      } catch (StoreUnavailableException e) {
        log.error(
            "audit row for key {} ({} {}) could not be written; keeping it and forwarding nothing"
                + " until the audit log answers: {}",
            entry.keyId(),
            decision,
            reason,
            e.getMessage());
      }
    }
    keep(entry);
    flushBacklog();
  }

  /**
   * Whether the audit log is being written: tries the waiting rows first, and answers false while
   * any still wait (then nothing may be forwarded).
   */
  boolean writable() {
    return backlogSize.get() == 0 || flushBacklog();
  }

  /** Rows waiting to be written (0 when the audit log is current). */
  int backlog() {
    return backlogSize.get();
  }

  private void keep(AuditEntry entry) {
    if (backlogSize.incrementAndGet() > MAX_BACKLOG) {
      backlogSize.decrementAndGet();
      log.error(
          "audit backlog full ({} rows): dropped the row for key {} ({}); {} dropped so far",
          MAX_BACKLOG,
          entry.keyId(),
          entry.decision(),
          dropped.incrementAndGet());
      return;
    }
    backlog.add(entry);
  }

  /** Writes waiting rows in order; true when none is left. One thread flushes at a time. */
  private boolean flushBacklog() {
    if (!flushing.tryLock()) {
      return backlogSize.get() == 0;
    }
    try {
      AuditEntry next;
      while ((next = backlog.peek()) != null) {
        try {
          audit.append(next);
        } catch (StoreUnavailableException e) {
          log.debug("audit backlog of {} rows still waits: {}", backlogSize.get(), e.getMessage());
          return false;
        }
        backlog.poll();
        if (backlogSize.decrementAndGet() == 0) {
          log.info("audit log written again; the backlog is empty");
        }
      }
      return true;
    } finally {
      flushing.unlock();
    }
  }

  private static String destinations(Exchange ex) {
    if (ex.estimate == null || ex.estimate.destinations().isEmpty()) {
      return null;
    }
    return ex.estimate.destinations().stream()
        .map(Destination::masked)
        .collect(Collectors.joining(","));
  }
}
