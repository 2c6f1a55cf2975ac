package io.keybrake.harness.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Optional;

/**
 * The semantic checks Envoy applies to a resource after it parses (a subset: the ones our resources
 * can break). Protoc-gen-validate rules are not available in Java and are not checked. Stateless
 * and thread-safe.
 */
public final class EnvoyRules {

  private EnvoyRules() {}

  /** Envoy's rejection message for the listener, or empty if Envoy would accept it. */
  public static Optional<String> listener(Listener l) {
    if (l.getName().isEmpty()) {
      return Optional.of("listener without a name");
    }
    if (!l.hasAddress() && !l.hasInternalListener()) {
      return Optional.of("listener " + l.getName() + " has no address");
    }
    java.util.Set<io.envoyproxy.envoy.config.listener.v3.FilterChainMatch> matches =
        new java.util.HashSet<>();
    for (FilterChain chain : l.getFilterChainsList()) {
      if (!matches.add(chain.getFilterChainMatch())) {
        return Optional.of(
            "error adding listener '"
                + l.getName()
                + "': multiple filter chains with the same matching rules are defined");
      }
      for (Filter f : chain.getFiltersList()) {
        if (f.getTypedConfig().is(HttpConnectionManager.class)) {
          Optional<String> problem = httpConnectionManager(l.getName(), f);
          if (problem.isPresent()) {
            return problem;
          }
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<String> httpConnectionManager(String listener, Filter f) {
    HttpConnectionManager hcm;
    try {
      hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
    } catch (InvalidProtocolBufferException e) {
      return Optional.of(listener + ": " + e.getMessage());
    }
    if (!hcm.hasRds() && !hcm.hasRouteConfig() && !hcm.hasScopedRoutes()) {
      return Optional.of(listener + ": http_connection_manager without route_specifier");
    }
    List<HttpFilter> filters = hcm.getHttpFiltersList();
    for (int i = 0; i < filters.size(); i++) {
      boolean terminal = filters.get(i).getTypedConfig().is(Router.class);
      boolean last = i == filters.size() - 1;
      if (terminal && !last) {
        return Optional.of(
            "Error: terminal filter named "
                + filters.get(i).getName()
                + " of type envoy.filters.http.router must be the last filter in a http filter"
                + " chain.");
      }
      if (!terminal && last) {
        return Optional.of(
            "Error: non-terminal filter named "
                + filters.get(i).getName()
                + " is the last filter in a http filter chain.");
      }
    }
    return Optional.empty();
  }

  /** Envoy's rejection message for the cluster, or empty if Envoy would accept it. */
  public static Optional<String> cluster(Cluster c) {
    if (c.getName().isEmpty()) {
      return Optional.of("cluster without a name");
    }
    if (c.getType() == Cluster.DiscoveryType.LOGICAL_DNS
        && (c.getLoadAssignment().getEndpointsCount() != 1
            || c.getLoadAssignment().getEndpoints(0).getLbEndpointsCount() != 1)) {
      return Optional.of(
          "LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint");
    }
    return Optional.empty();
  }

  /** Envoy's rejection message for the route configuration, or empty if Envoy would accept it. */
  public static Optional<String> routeConfiguration(RouteConfiguration rc) {
    if (rc.getName().isEmpty()) {
      return Optional.of("route configuration without a name");
    }
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      if (vh.getDomainsCount() == 0) {
        return Optional.of("virtual host " + vh.getName() + " has no domains");
      }
      for (Route r : vh.getRoutesList()) {
        if (r.getActionCase() == Route.ActionCase.ACTION_NOT_SET) {
          return Optional.of("route " + r.getName() + " has no action");
        }
      }
    }
    return Optional.empty();
  }
}
