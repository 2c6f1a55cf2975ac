package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.cache.SnapshotCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.keybrake.core.key.KeyChange;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.store.StoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the snapshot cache in step with the key registry from changes, never from a listing: it is
 * told of each key created ({@link #keyChanged}) or revoked ({@link #keyRevoked}) by the admin API
 * and, in a fleet, by the change feed, and every {@code period} it reads what changed in the
 * registry since its cursor ({@link KeyStore#changesSince}) to catch what a feed lost. A key whose
 * expiry passes is dropped at the next tick. Only the route tables a change touches are rebuilt:
 * one gateway shard, and the sidecar tables of the key's node (of every sidecar for an unbound
 * key).
 *
 * <p>Publishing runs on the scheduler, not on the caller's thread: a told change is queued without
 * taking the publisher's lock (an admin call never waits for a publication), created keys arriving
 * within {@link #COALESCE} are published together, and a revocation is published at once. The SDS
 * secrets (vendor-host certificates) are read at every publication: a rotation re-publishes every
 * group at the next tick. A revoked key is never routed again, whatever an older read of the
 * registry says.
 *
 * <p>If the store cannot answer, the last published snapshot stays in place (Envoy keeps serving
 * the routes it has) and {@link #storeFailures()} counts the miss.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public final class KeySnapshotPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KeySnapshotPublisher.class);

  /** How often the registry is asked what changed (a fleet's feed may lose a message). */
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);

  /** Changes arriving this close together are published as one snapshot. */
  public static final Duration COALESCE = Duration.ofMillis(10);

  /** How many changes one read of the feed takes. */
  static final int BATCH = 5_000;

  /** How far behind its cursor each read starts: fleet writes commit out of feed order. */
  static final long OVERLAP = 100;

  /** How many revoked ids are remembered so that no older read routes them again. */
  static final int REMEMBERED_REVOCATIONS = 100_000;

  private record Expiring(Instant at, String id) {}

  private final KeyStore keys;
  private final KeybrakeSnapshots snapshots;
  private final SnapshotCache<String, Snapshot> cache;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Duration period;
  private final AtomicLong publications = new AtomicLong();
  private final AtomicLong storeFailures = new AtomicLong();

  // all guarded by this
  private final RouteTables tables;
  private final TreeSet<Expiring> expiries =
      new TreeSet<>(Comparator.comparing(Expiring::at).thenComparing(Expiring::id));
  private final Map<String, Instant> expiryById = new HashMap<>();
  private final Set<String> revoked =
      java.util.Collections.newSetFromMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > REMEMBERED_REVOCATIONS;
            }
          });
  private final Set<String> groups = new TreeSet<>(NodeGroups.ALL);
  private final Set<String> unpublishedGroups = new TreeSet<>(NodeGroups.ALL);
  private List<RouteTable> gatewayTables = List.of();
  private String publishedSecrets = "";
  private long cursor;

  /** Told changes not yet applied: {@link KeyChange}s, and revoked ids as {@code String}s. */
  private final java.util.Queue<Object> told = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final Object scheduling = new Object();
  // guarded by scheduling: a publication is scheduled; one is scheduled to run at once
  private boolean pending;
  private boolean urgentPending;
  private ScheduledFuture<?> tick;

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
    this.tables = new RouteTables(snapshots.routes());
  }

  /** Reads the registry's active keys once, publishes to every group, then ticks every period. */
  public synchronized KeySnapshotPublisher start() {
    if (tick == null) {
      refresh();
      long millis = period.toMillis();
      tick = scheduler.scheduleWithFixedDelay(this::tick, millis, millis, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  /** A key was created or changed: route it if active. Published shortly, off this thread. */
  public void keyChanged(KeyRecord key) {
    keyChanged(KeyChange.of(0, key));
  }

  /**
   * A key was created or changed: route it if active. Published within {@link #COALESCE}, off this
   * thread; the caller never waits for a publication in progress.
   */
  public void keyChanged(KeyChange change) {
    told.add(change);
    schedulePublish(COALESCE);
  }

  /**
   * A key was revoked: its route goes. Published at once (no coalescing delay), off this thread;
   * the caller never waits for a publication in progress.
   */
  public void keyRevoked(String keyId) {
    told.add(keyId);
    schedulePublish(Duration.ZERO);
  }

  /** An Envoy of {@code group} connected: make sure the group has a snapshot. */
  public synchronized void nodeGroupSeen(String group) {
    if (groups.add(group)) {
      unpublishedGroups.add(group);
      schedulePublish(Duration.ZERO);
    }
  }

  /**
   * Reads what changed in the registry, drops expired keys and publishes what changed, now, on this
   * thread (the schedule does the same every period).
   *
   * @return true if a new snapshot was published
   */
  public synchronized boolean refresh() {
    applyTold();
    try {
      readChanges();
    } catch (StoreUnavailableException e) {
      long n = storeFailures.incrementAndGet();
      LOG.warn(
          "key store unavailable, keeping the last xDS snapshot (miss #{}): {}", n, e.getMessage());
      return false;
    }
    expire(clock.instant());
    return publish();
  }

  /** Publishes the changes told so far, now, on this thread. @return true if it published */
  public synchronized boolean flush() {
    applyTold();
    expire(clock.instant());
    return publish();
  }

  /** How many snapshots have been published (one per group that changed). */
  public long publications() {
    return publications.get();
  }

  /** How many reads of the key store failed. */
  public long storeFailures() {
    return storeFailures.get();
  }

  /** How many keys have a route now. */
  public synchronized int routedKeys() {
    applyTold();
    return tables.size();
  }

  /** Applies the changes told since the last publication, in the order they were told. */
  private void applyTold() {
    Instant now = clock.instant();
    Object next;
    while ((next = told.poll()) != null) {
      if (next instanceof KeyChange change) {
        apply(change, now);
      } else {
        String id = (String) next;
        revoked.add(id);
        tables.remove(id);
      }
    }
  }

  private void readChanges() {
    Instant now = clock.instant();
    long from = Math.max(0, cursor - OVERLAP);
    while (true) {
      List<KeyChange> batch = keys.changesSince(from, BATCH);
      for (KeyChange c : batch) {
        apply(c, now);
        from = c.seq();
        cursor = Math.max(cursor, c.seq());
      }
      if (batch.size() < BATCH) {
        return;
      }
    }
  }

  private void apply(KeyChange c, Instant now) {
    if (c.revokedAt().isPresent()) {
      revoked.add(c.id());
    }
    if (revoked.contains(c.id()) || !c.isActiveAt(now)) {
      tables.remove(c.id());
      return;
    }
    tables.put(c.id(), c.vendor(), c.binding());
    c.expiresAt()
        .ifPresent(
            at -> {
              Instant before = expiryById.put(c.id(), at);
              if (before != null) {
                expiries.remove(new Expiring(before, c.id()));
              }
              expiries.add(new Expiring(at, c.id()));
            });
  }

  private void expire(Instant now) {
    while (!expiries.isEmpty() && !expiries.first().at().isAfter(now)) {
      Expiring e = expiries.pollFirst();
      expiryById.remove(e.id());
      tables.remove(e.id());
    }
  }

  /**
   * Makes sure a publication runs within {@code delay}: one is scheduled unless one due as soon is
   * already pending. Takes only the scheduling lock, never the publisher's.
   */
  private void schedulePublish(Duration delay) {
    boolean now = delay.isZero();
    synchronized (scheduling) {
      if (urgentPending || (pending && !now)) {
        return;
      }
      pending = true;
      urgentPending = now;
    }
    scheduler.schedule(this::publishScheduled, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void publishScheduled() {
    synchronized (scheduling) {
      // what is told from here on schedules a new run; what this run drains it publishes
      pending = false;
      urgentPending = false;
    }
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.error("xDS snapshot publication failed", e);
    }
  }

  private boolean publish() {
    List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> sds =
        snapshots.secrets(clock.instant());
    String sdsVersion = KeybrakeSnapshots.secretsVersion(sds);
    boolean secretsChanged = !sdsVersion.equals(publishedSecrets);
    publishedSecrets = sdsVersion;
    boolean gatewayChanged = tables.gatewayDirty();
    if (gatewayChanged) {
      gatewayTables = tables.gatewayTables();
    }
    int published = 0;
    for (String group : groups) {
      boolean due =
          unpublishedGroups.contains(group)
              || secretsChanged
              || (NodeGroups.isGateway(group) ? gatewayChanged : tables.sidecarDirty(group));
      if (!due) {
        continue;
      }
      List<RouteTable> rds =
          NodeGroups.isGateway(group) ? gatewayTables : List.of(tables.sidecarTable(group));
      cache.setSnapshot(group, snapshots.fromTables(group, rds, sds));
      published++;
    }
    tables.clean();
    unpublishedGroups.clear();
    if (published == 0) {
      return false;
    }
    long n = publications.addAndGet(published);
    LOG.debug(
        "published xDS snapshots (#{}) to {} group(s): {} routed key(s)",
        n,
        published,
        tables.size());
    return true;
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
