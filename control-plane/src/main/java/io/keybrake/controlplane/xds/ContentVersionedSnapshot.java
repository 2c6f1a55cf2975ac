package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.List;

/**
 * A snapshot whose route tables each carry a version computed from their content. {@link
 * Snapshot#create} versions each resource by the JVM's hash code of the message, which differs
 * between replicas and restarts, so a delta-xDS Envoy reconnecting elsewhere would be sent every
 * table again; here it is sent only the tables whose content differs. Immutable and thread-safe.
 */
@SuppressWarnings("unchecked") // see versionedResources
final class ContentVersionedSnapshot extends Snapshot {
  private final SnapshotResources<Cluster> clusters;
  private final SnapshotResources<Listener> listeners;
  private final SnapshotResources<RouteConfiguration> routes;
  private final SnapshotResources<Secret> secrets;

  ContentVersionedSnapshot(
      List<Cluster> clusters,
      String clustersVersion,
      List<Listener> listeners,
      String listenersVersion,
      List<RouteTable> tables,
      String routesVersion,
      List<Secret> secrets,
      String secretsVersion) {
    this.clusters = SnapshotResources.create(clusters, clustersVersion);
    this.listeners = SnapshotResources.create(listeners, listenersVersion);
    List<VersionedResource<RouteConfiguration>> versioned =
        tables.stream().map(t -> VersionedResource.create(t.config(), t.version())).toList();
    this.routes = SnapshotResources.create(versioned, names -> routesVersion);
    this.secrets = SnapshotResources.create(secrets, secretsVersion);
  }

  @Override
  public SnapshotResources<Cluster> clusters() {
    return clusters;
  }

  @Override
  public SnapshotResources<ClusterLoadAssignment> endpoints() {
    return SnapshotResources.create(List.of(), "e-none");
  }

  @Override
  public SnapshotResources<Listener> listeners() {
    return listeners;
  }

  @Override
  public SnapshotResources<RouteConfiguration> routes() {
    return routes;
  }

  /**
   * As {@link Snapshot}'s own; declared raw because java-control-plane's two declarations of this
   * method differ in their type arguments, which a subclass outside its package cannot satisfy.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public java.util.Map versionedResources(
      io.envoyproxy.controlplane.cache.Resources.ResourceType type) {
    return super.versionedResources(type);
  }

  @Override
  public SnapshotResources<Secret> secrets() {
    return secrets;
  }
}
