package io.keybrake.cli.webhook;

import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.notify.ThresholdEvent;
import io.keybrake.core.notify.ThresholdStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Budget webhooks: after each reservation, the counters it touched (the key's daily and lifetime
 * caps, fleet and vendor budgets) are read; a counter at 50, 80 or 100 % of its cap (or refused for
 * its cap) is a {@link ThresholdEvent}, claimed in the {@link ThresholdStore} so it is sent at most
 * once per threshold per window, across instances and restarts, then delivered by a {@link
 * WebhookSender}. Checks run off the request path, one at a time per counter. Events claimed but
 * not delivered before a stop are resumed at the next start. Thread-safe.
 */
public final class BudgetWebhooks implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BudgetWebhooks.class);
  static final int[] THRESHOLDS = {50, 80, 100};

  private final ThresholdStore store;
  private final Ledger ledger;
  private final Clock clock;
  private final List<URI> targets;
  private final BudgetStore budgets;
  private final boolean active;
  private final ScheduledExecutorService scheduler;
  private final WebhookSender sender;

  /** Counters with a check queued: counter id -> limit, and whether a refusal named it. */
  private final Map<String, BudgetLimit> queued = new ConcurrentHashMap<>();

  private final Set<String> refused = ConcurrentHashMap.newKeySet();

  /** Counters whose every threshold is claimed (no more reads needed this window). */
  private final Set<String> done = ConcurrentHashMap.newKeySet();

  private BudgetWebhooks(
      ThresholdStore store,
      Ledger ledger,
      Clock clock,
      List<URI> targets,
      BudgetStore budgets,
      String secret,
      boolean slack,
      WebhookSender.Retry retry,
      MeterRegistry registry) {
    this.store = store;
    this.ledger = ledger;
    this.clock = clock;
    this.targets = List.copyOf(targets);
    this.budgets = budgets;
    this.active = !secret.isEmpty();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-webhooks");
              t.setDaemon(true);
              return t;
            });
    this.sender = new WebhookSender(store, secret, slack, clock, retry, scheduler, registry);
  }

  /**
   * Starts webhooks to the global {@code targets} and to each budget's own {@code webhook_url}, and
   * resumes undelivered events. Without a signing secret it does nothing and keeps no state.
   */
  public static BudgetWebhooks start(
      ThresholdStore store,
      Ledger ledger,
      Clock clock,
      List<URI> targets,
      BudgetStore budgets,
      String secret,
      boolean slack,
      MeterRegistry registry) {
    BudgetWebhooks w =
        new BudgetWebhooks(
            store,
            ledger,
            clock,
            targets,
            budgets,
            secret,
            slack,
            WebhookSender.Retry.DEFAULTS,
            registry);
    w.resumeIfActive();
    return w;
  }

  /** As {@link #start}, with a retry policy (tests). */
  static BudgetWebhooks start(
      ThresholdStore store,
      Ledger ledger,
      Clock clock,
      List<URI> targets,
      BudgetStore budgets,
      String secret,
      WebhookSender.Retry retry,
      MeterRegistry registry) {
    BudgetWebhooks w =
        new BudgetWebhooks(store, ledger, clock, targets, budgets, secret, false, retry, registry);
    w.resumeIfActive();
    return w;
  }

  private void resumeIfActive() {
    if (active) {
      scheduler.execute(this::resume);
    }
  }

  /** A reservation was made (or refused); checks its counters soon, off the caller's thread. */
  public void reserved(ReserveRequest request, ReserveOutcome outcome) {
    if (!active) {
      return;
    }
    if (outcome instanceof ReserveOutcome.Exhausted no) {
      refused.add(no.limit().counterId());
    }
    for (BudgetLimit limit : request.limits()) {
      String id = limit.counterId();
      if (done.contains(id)) {
        continue;
      }
      if (queued.putIfAbsent(id, limit) == null && !scheduler.isShutdown()) {
        scheduler.execute(() -> check(id));
      }
    }
  }

  private void check(String counterId) {
    BudgetLimit limit = queued.remove(counterId);
    if (limit == null) {
      return;
    }
    boolean capHit = refused.remove(counterId);
    try {
      List<URI> to = targetsFor(limit.scope());
      if (to.isEmpty()) {
        return;
      }
      CounterSnapshot snap = ledger.counter(limit);
      long total = snap.totalMicros();
      long cap = limit.capMicros();
      int claimed = 0;
      for (int threshold : THRESHOLDS) {
        boolean crossed =
            cap == 0 || total * 100 >= cap * (long) threshold || (threshold == 100 && capHit);
        if (!crossed) {
          break;
        }
        ThresholdEvent event =
            new ThresholdEvent(
                counterId,
                threshold,
                limit.scope(),
                limit.budget(),
                total,
                cap,
                limit.windowStart(),
                limit.windowEnd(),
                clock.instant());
        if (store.claim(event)) {
          sender.send(event, to);
        }
        claimed = threshold;
      }
      if (claimed == 100) {
        if (done.size() > 100_000) {
          done.clear(); // ids of past windows; a re-check only finds its events claimed
        }
        done.add(counterId);
      }
    } catch (RuntimeException e) {
      log.debug("budget threshold check of {} failed: {}", counterId, e.getMessage());
    }
  }

  private void resume() {
    try {
      for (ThresholdEvent e : store.undelivered()) {
        List<URI> to = targetsFor(e.scope());
        if (!to.isEmpty()) {
          sender.send(e, to);
        }
      }
    } catch (RuntimeException e) {
      log.debug("could not resume undelivered budget webhooks: {}", e.getMessage());
    }
  }

  /** The global targets, plus a fleet or vendor budget's own. */
  private List<URI> targetsFor(String scope) {
    if (!scope.startsWith("budget:")) {
      return targets;
    }
    String name = scope.substring("budget:".length());
    List<URI> out = new ArrayList<>(targets);
    for (Budget b : budgets.list()) {
      if (b.name().equals(name)) {
        b.webhookUrl().ifPresent(out::add);
      }
    }
    return out;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
