package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.cache.SnapshotCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.StoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the snapshot cache in step with the key registry: reads {@link KeyStore#list()} every
 * {@link #DEFAULT_PERIOD} and on {@link #refresh()}, and publishes a new snapshot to every node
 * group whenever the set of active keys (not revoked, not expired at the clock's now) or the SDS
 * secrets (rotated certificates) change. A key whose expiry passes is dropped at the next tick.
 *
 * <p>If the store cannot answer, the last published snapshot stays in place (Envoy keeps serving
 * the routes it has) and {@link #storeFailures()} counts the miss.
 *
 * <p>Thread-safe: {@link #refresh()} may be called from any thread, concurrently with the schedule.
 */
public final class KeySnapshotPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KeySnapshotPublisher.class);

  public static final Duration DEFAULT_PERIOD = Duration.ofMillis(100);

  private final KeyStore keys;
  private final KeybrakeSnapshots snapshots;
  private final SnapshotCache<String, Snapshot> cache;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Duration period;
  private final AtomicLong publications = new AtomicLong();
  private final AtomicLong storeFailures = new AtomicLong();

  private List<ActiveKey> published; // guarded by this
  private String publishedSecrets; // guarded by this
  private ScheduledFuture<?> tick; // guarded by this

  /** What a route depends on: a change in either re-publishes. */
  private record ActiveKey(String id, String vendor) {}

  public KeySnapshotPublisher(
      KeyStore keys,
      KeybrakeSnapshots snapshots,
      SnapshotCache<String, Snapshot> cache,
      Clock clock,
      ScheduledExecutorService scheduler,
      Duration period) {
    this.keys = Objects.requireNonNull(keys);
    this.snapshots = Objects.requireNonNull(snapshots);
    this.cache = Objects.requireNonNull(cache);
    this.clock = Objects.requireNonNull(clock);
    this.scheduler = Objects.requireNonNull(scheduler);
    this.period = Objects.requireNonNull(period);
  }

  /** Publishes once, then every period. */
  public synchronized KeySnapshotPublisher start() {
    if (tick == null) {
      refresh();
      long millis = period.toMillis();
      tick = scheduler.scheduleWithFixedDelay(this::tick, millis, millis, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  /**
   * Re-reads the registry and publishes if the active set changed. Call right after a key is
   * created or revoked; returns once the new snapshot is in the cache (and on its way to Envoy).
   *
   * @return true if a new snapshot was published
   */
  public synchronized boolean refresh() {
    List<KeyRecord> active;
    try {
      active = KeybrakeSnapshots.activeAt(keys.list(), clock.instant());
    } catch (StoreUnavailableException e) {
      long n = storeFailures.incrementAndGet();
      LOG.warn(
          "key store unavailable, keeping the last xDS snapshot (miss #{}): {}", n, e.getMessage());
      return false;
    }
    List<ActiveKey> next = active.stream().map(k -> new ActiveKey(k.id(), k.vendor())).toList();
    List<Secret> sds = snapshots.secrets(clock.instant());
    String sdsVersion = KeybrakeSnapshots.secretsVersion(sds);
    if (next.equals(published) && sdsVersion.equals(publishedSecrets)) {
      return false;
    }
    for (String group : NodeGroups.ALL) {
      cache.setSnapshot(group, snapshots.snapshot(group, active, sds));
    }
    publishedSecrets = sdsVersion;
    LOG.info(
        "published xDS snapshot #{}: {} active key route(s)",
        publications.incrementAndGet(),
        next.size());
    published = next;
    return true;
  }

  /** How many snapshots have been published. */
  public long publications() {
    return publications.get();
  }

  /** How many reads of the key store failed. */
  public long storeFailures() {
    return storeFailures.get();
  }

  private void tick() {
    try {
      refresh();
    } catch (RuntimeException e) {
      // a scheduled task that throws is never run again: log and keep ticking
      LOG.error("xDS snapshot refresh failed", e);
    }
  }

  /** Stops the schedule; the executor belongs to the caller. */
  @Override
  public synchronized void close() {
    if (tick != null) {
      tick.cancel(false);
      tick = null;
    }
  }
}
