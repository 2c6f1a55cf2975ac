package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the operator only on the replica that holds the Lease {@code keybrake-operator} (fabric8's
 * leader election): the other replicas serve the admin API, webhook and token exchange, and take
 * over within a lease duration when the leader goes. Reconciling is idempotent, so an overlap at
 * hand-over costs a repeated write, never a second key. Thread-safe.
 */
public final class LeaderElected implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderElected.class);

  /** The Lease's name. */
  public static final String LEASE = "keybrake-operator";

  private final KubernetesClient client;
  private final String namespace;
  private final String identity;
  private final Supplier<AutoCloseable> whileLeading;
  private volatile AutoCloseable running;
  private volatile CompletableFuture<?> election;

  /**
   * @param namespace where the Lease lives (the control plane's)
   * @param identity this replica's name (the pod name)
   * @param whileLeading starts the work; its result is closed when leadership is lost
   */
  public LeaderElected(
      KubernetesClient client,
      String namespace,
      String identity,
      Supplier<AutoCloseable> whileLeading) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
    this.identity = Objects.requireNonNull(identity);
    this.whileLeading = Objects.requireNonNull(whileLeading);
  }

  public LeaderElected start() {
    election =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(LEASE)
                    .withLock(new LeaseLock(namespace, LEASE, identity))
                    .withLeaseDuration(Duration.ofSeconds(15))
                    .withRenewDeadline(Duration.ofSeconds(10))
                    .withRetryPeriod(Duration.ofSeconds(2))
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(this::lead, this::follow, this::newLeader))
                    .build())
            .build()
            .start();
    return this;
  }

  public boolean isLeading() {
    return running != null;
  }

  private synchronized void lead() {
    LOG.info("k8s: {} leads; starting the operator", identity);
    running = whileLeading.get();
  }

  private synchronized void follow() {
    AutoCloseable r = running;
    running = null;
    if (r != null) {
      LOG.info("k8s: {} lost the lease; stopping the operator", identity);
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("k8s: stopping the operator failed: {}", e.toString());
      }
    }
  }

  private void newLeader(String leader) {
    LOG.info("k8s: leader is {}", leader);
  }

  @Override
  public void close() {
    CompletableFuture<?> e = election;
    if (e != null) {
      e.cancel(true);
    }
    follow();
  }
}
