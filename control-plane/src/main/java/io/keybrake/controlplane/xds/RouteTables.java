package io.keybrake.controlplane.xds;

import io.keybrake.core.key.RouteShards;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The active keys' routes, kept by gateway shard and by bound node so that a key change rebuilds
 * only the tables it touches: one gateway shard, and the sidecar tables of its node (or of every
 * sidecar for an unbound key). Not thread-safe: the owner ({@link KeySnapshotPublisher}) guards it.
 */
final class RouteTables {
  private record Routed(String vendor, Optional<String> node) {}

  private final KeyRoutes routes;
  private final Map<String, Routed> keys = new HashMap<>();
  private final Map<String, TreeMap<String, String>> byShard = new HashMap<>();
  private final Map<String, TreeMap<String, String>> byNode = new HashMap<>();
  private final TreeMap<String, String> unbound = new TreeMap<>();
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
    Routed next = new Routed(vendor, node);
    Routed before = keys.put(id, next);
    if (next.equals(before)) {
      return;
    }
    if (before != null) {
      unroute(id, before);
    }
    String shard = RouteShards.of(id);
    byShard.computeIfAbsent(shard, s -> new TreeMap<>()).put(id, vendor);
    dirtyShards.add(shard);
    if (node.isPresent()) {
      byNode.computeIfAbsent(node.get(), n -> new TreeMap<>()).put(id, vendor);
      dirtyNodes.add(node.get());
    } else {
      unbound.put(id, vendor);
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
    TreeMap<String, String> s = byShard.get(shard);
    if (s != null && s.remove(id) != null) {
      dirtyShards.add(shard);
      if (s.isEmpty()) {
        byShard.remove(shard);
      }
    }
    if (r.node().isPresent()) {
      TreeMap<String, String> n = byNode.get(r.node().get());
      if (n != null && n.remove(id) != null) {
        dirtyNodes.add(r.node().get());
        if (n.isEmpty()) {
          byNode.remove(r.node().get());
        }
      }
    } else if (unbound.remove(id) != null) {
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
      shardTables.put(
          shard,
          RouteTable.of(
              routes.table(
                  KeyRoutes.shardTableName(shard), byShard.getOrDefault(shard, new TreeMap<>()))));
    }
    dirtyShards.clear();
    return new ArrayList<>(shardTables.values());
  }

  /** The one table of a sidecar group: unbound keys, and the keys bound to its node. */
  RouteTable sidecarTable(String group) {
    TreeMap<String, String> mine = new TreeMap<>(unbound);
    NodeGroups.boundNode(group).map(byNode::get).ifPresent(mine::putAll);
    return RouteTable.of(routes.table(KeyRoutes.ROUTE_CONFIG_NAME, mine));
  }

  /** Marks the sidecar tables built (gateway shards are marked as they are rebuilt). */
  void clean() {
    dirtyNodes.clear();
    unboundDirty = false;
  }
}
