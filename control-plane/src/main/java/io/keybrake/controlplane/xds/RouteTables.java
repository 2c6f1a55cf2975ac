package io.keybrake.controlplane.xds;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.keybrake.core.key.RouteShards;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The active keys' routes, kept by gateway shard and by bound node so that a key change rebuilds
 * only the tables it touches: one gateway shard, and the sidecar tables of its node (or of every
 * sidecar for an unbound key).
 *
 * <p>What a change costs does not grow with the registry: each key's route is built and digested
 * once, when it is put; a table is assembled from the routes already built, and its version comes
 * from a running sum of its routes' digests ({@link KeyRoutes#tableVersion}), not from encoding the
 * table. Not thread-safe: the owner ({@link KeySnapshotPublisher}) guards it.
 */
final class RouteTables {
  /** A key's vendor, node, route (null: its vendor has no cluster) and the route's digest. */
  private record Routed(String vendor, Optional<String> node, Route route, long[] digest) {
    boolean sameAs(String otherVendor, Optional<String> otherNode) {
      return vendor.equals(otherVendor) && node.equals(otherNode);
    }
  }

  /** Routes in id order and the sum of their digests. */
  private static final class RouteSet {
    final TreeMap<String, Route> byId = new TreeMap<>();
    final long[] sum = new long[2];

    void add(String id, Routed r) {
      if (r.route() != null && byId.put(id, r.route()) == null) {
        sum[0] += r.digest()[0];
        sum[1] += r.digest()[1];
      }
    }

    /**
     * @return true if the set held {@code id}
     */
    boolean remove(String id, Routed r) {
      if (r.route() == null || byId.remove(id) == null) {
        return false;
      }
      sum[0] -= r.digest()[0];
      sum[1] -= r.digest()[1];
      return true;
    }
  }

  private static final RouteSet EMPTY = new RouteSet();

  private final KeyRoutes routes;
  private final Map<String, Routed> keys = new HashMap<>();
  private final Map<String, RouteSet> byShard = new HashMap<>();
  private final Map<String, RouteSet> byNode = new HashMap<>();
  private final RouteSet unbound = new RouteSet();
  private final Map<String, RouteTable> shardTables = new TreeMap<>();
  private final Set<String> dirtyShards = new HashSet<>();
  private final Set<String> dirtyNodes = new HashSet<>();
  private boolean unboundDirty = true;

  RouteTables(KeyRoutes routes) {
    this.routes = routes;
    for (int i = 0; i < RouteShards.COUNT; i++) {
      dirtyShards.add(RouteShards.name(i));
    }
  }

  /** Routes {@code id} to {@code vendor} (on {@code node}'s sidecars only, if bound). */
  void put(String id, String vendor, Optional<String> node) {
    Routed before = keys.get(id);
    if (before != null && before.sameAs(vendor, node)) {
      return;
    }
    Routed next;
    if (before != null && before.vendor().equals(vendor)) { // rebound to another node
      next = new Routed(vendor, node, before.route(), before.digest());
    } else {
      Route route = routes.route(id, vendor);
      next = new Routed(vendor, node, route, route == null ? new long[2] : KeyRoutes.digest(route));
    }
    keys.put(id, next);
    if (before != null) {
      unroute(id, before);
    }
    String shard = RouteShards.of(id);
    byShard.computeIfAbsent(shard, s -> new RouteSet()).add(id, next);
    dirtyShards.add(shard);
    if (node.isPresent()) {
      byNode.computeIfAbsent(node.get(), n -> new RouteSet()).add(id, next);
      dirtyNodes.add(node.get());
    } else {
      unbound.add(id, next);
      unboundDirty = true;
    }
  }

  /** Removes the route of {@code id}, if it has one. */
  void remove(String id) {
    Routed before = keys.remove(id);
    if (before != null) {
      unroute(id, before);
    }
  }

  private void unroute(String id, Routed r) {
    String shard = RouteShards.of(id);
    RouteSet s = byShard.get(shard);
    if (s != null && s.remove(id, r)) {
      dirtyShards.add(shard);
      if (s.byId.isEmpty()) {
        byShard.remove(shard);
      }
    }
    if (r.node().isPresent()) {
      RouteSet n = byNode.get(r.node().get());
      if (n != null && n.remove(id, r)) {
        dirtyNodes.add(r.node().get());
        if (n.byId.isEmpty()) {
          byNode.remove(r.node().get());
        }
      }
    } else if (unbound.remove(id, r)) {
      unboundDirty = true;
    }
  }

  int size() {
    return keys.size();
  }

  boolean contains(String id) {
    return keys.containsKey(id);
  }

  /** Whether the gateway's tables changed since {@link #clean()}. */
  boolean gatewayDirty() {
    return !dirtyShards.isEmpty();
  }

  /** Whether the tables of a sidecar group changed since {@link #clean()}. */
  boolean sidecarDirty(String group) {
    return unboundDirty || NodeGroups.boundNode(group).map(dirtyNodes::contains).orElse(false);
  }

  /** Every gateway table, the changed ones rebuilt. */
  List<RouteTable> gatewayTables() {
    for (String shard : dirtyShards) {
      RouteSet set = byShard.getOrDefault(shard, EMPTY);
      String name = KeyRoutes.shardTableName(shard);
      shardTables.put(
          shard,
          new RouteTable(
              routes.table(name, set.byId.values()),
              KeyRoutes.tableVersion(name, set.byId.size(), set.sum)));
    }
    dirtyShards.clear();
    return new ArrayList<>(shardTables.values());
  }

  /** The one table of a sidecar group: unbound keys, and the keys bound to its node. */
  RouteTable sidecarTable(String group) {
    RouteSet mine = NodeGroups.boundNode(group).map(byNode::get).orElse(EMPTY);
    long[] sum = {unbound.sum[0] + mine.sum[0], unbound.sum[1] + mine.sum[1]};
    return new RouteTable(
        routes.table(KeyRoutes.ROUTE_CONFIG_NAME, () -> merged(unbound.byId, mine.byId)),
        KeyRoutes.tableVersion(
            KeyRoutes.ROUTE_CONFIG_NAME, unbound.byId.size() + mine.byId.size(), sum));
  }

  /** The routes of two maps with distinct ids, in id order. */
  private static Iterator<Route> merged(TreeMap<String, Route> a, TreeMap<String, Route> b) {
    if (b.isEmpty()) {
      return a.values().iterator();
    }
    if (a.isEmpty()) {
      return b.values().iterator();
    }
    Iterator<Map.Entry<String, Route>> ia = a.entrySet().iterator();
    Iterator<Map.Entry<String, Route>> ib = b.entrySet().iterator();
    return new Iterator<>() {
      Map.Entry<String, Route> na = ia.next();
      Map.Entry<String, Route> nb = ib.next();

      @Override
      public boolean hasNext() {
        return na != null || nb != null;
      }

      @Override
      public Route next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        boolean fromA = nb == null || (na != null && na.getKey().compareTo(nb.getKey()) < 0);
        Route r;
        if (fromA) {
          r = na.getValue();
          na = ia.hasNext() ? ia.next() : null;
        } else {
          r = nb.getValue();
          nb = ib.hasNext() ? ib.next() : null;
        }
        return r;
      }
    };
  }

  /** Marks the sidecar tables built (gateway shards are marked as they are rebuilt). */
  void clean() {
    dirtyNodes.clear();
    unboundDirty = false;
  }
}
