package io.keybrake.harness.xds;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an Envoy has accepted so far, by resource name. Immutable.
 *
 * @param versions the last accepted {@code version_info} per type URL
 */
public record XdsState(
    Map<String, Listener> listeners,
    Map<String, Cluster> clusters,
    Map<String, RouteConfiguration> routes,
    Map<String, ClusterLoadAssignment> endpoints,
    Map<String, String> versions) {

  public static final XdsState EMPTY =
      new XdsState(Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

  public XdsState {
    listeners = Map.copyOf(listeners);
    clusters = Map.copyOf(clusters);
    routes = Map.copyOf(routes);
    endpoints = Map.copyOf(endpoints);
    versions = Map.copyOf(versions);
  }

  /**
   * The key ids that have a route: routes carrying {@code filter_metadata.keybrake.key_id} and
   * forwarding to a cluster.
   */
  public Set<String> routedKeyIds() {
    Set<String> ids = new TreeSet<>();
    for (RouteConfiguration rc : routes.values()) {
      for (VirtualHost vh : rc.getVirtualHostsList()) {
        for (Route r : vh.getRoutesList()) {
          Value id =
              r.getMetadata()
                  .getFilterMetadataOrDefault(
                      "keybrake", com.google.protobuf.Struct.getDefaultInstance())
                  .getFieldsOrDefault("key_id", Value.getDefaultInstance());
          if (r.hasRoute() && id.hasStringValue()) {
            ids.add(id.getStringValue());
          }
        }
      }
    }
    return ids;
  }

  /** Whether Envoy would route a request carrying this key id to a vendor cluster. */
  public boolean hasRouteForKey(String keyId) {
    return routedKeyIds().contains(keyId);
  }
}
