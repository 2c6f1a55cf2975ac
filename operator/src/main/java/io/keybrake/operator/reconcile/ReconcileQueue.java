package io.keybrake.operator.reconcile;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A work queue of object names ({@code namespace/name}): an object queued several times before its
 * turn is reconciled once, objects are reconciled one at a time on one thread, and a reconcile that
 * throws is retried after a back-off. Thread-safe; {@link #close()} stops it.
 */
final class ReconcileQueue implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcileQueue.class);

  private final String kind;
  private final Consumer<String> reconcile;
  private final Duration retryAfter;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService thread;

  ReconcileQueue(String kind, Consumer<String> reconcile, Duration retryAfter) {
    this.kind = kind;
    this.reconcile = reconcile;
    this.retryAfter = retryAfter;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-reconcile-" + kind);
              t.setDaemon(true);
              return t;
            });
  }

  void enqueue(String namespacedName) {
    if (pending.add(namespacedName)) {
      thread.execute(() -> run(namespacedName));
    }
  }

  private void run(String namespacedName) {
    pending.remove(namespacedName);
    try {
      reconcile.accept(namespacedName);
    } catch (RuntimeException e) {
      LOG.warn("k8s: reconcile of {} {} failed, retrying: {}", kind, namespacedName, e.toString());
      thread.schedule(() -> enqueue(namespacedName), retryAfter.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
