package io.keybrake.harness.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * The RDS route tables (and SDS secrets) listeners refer to, as Envoy finds them: an {@code rds}
 * route config name, or the route configuration of each scope listed inline in {@code
 * scoped_routes}. Stateless.
 */
final class ListenerRoutes {
  private ListenerRoutes() {}

  /**
   * The SDS secrets the listeners' filter chains name in their downstream TLS contexts ({@code
   * tls_certificate_sds_secret_configs}), which Envoy then asks for.
   */
  static Set<String> secretNames(Collection<Listener> listeners) {
    Set<String> sds = new TreeSet<>();
    for (Listener l : listeners) {
      for (FilterChain chain : l.getFilterChainsList()) {
        if (!chain.hasTransportSocket()
            || !chain.getTransportSocket().getTypedConfig().is(DownstreamTlsContext.class)) {
          continue;
        }
        try {
          DownstreamTlsContext tls =
              chain.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
          for (SdsSecretConfig c :
              tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()) {
            sds.add(c.getName());
          }
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("validated listener does not unpack", e);
        }
      }
    }
    return sds;
  }

  static Set<String> names(Collection<Listener> listeners) {
    Set<String> rds = new TreeSet<>();
    for (Listener l : listeners) {
      for (FilterChain chain : l.getFilterChainsList()) {
        for (Filter f : chain.getFiltersList()) {
          if (!f.getTypedConfig().is(HttpConnectionManager.class)) {
            continue;
          }
          HttpConnectionManager hcm;
          try {
            hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
          } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("validated listener does not unpack", e);
          }
          if (hcm.hasRds()) {
            rds.add(hcm.getRds().getRouteConfigName());
          }
          if (hcm.hasScopedRoutes() && hcm.getScopedRoutes().hasScopedRouteConfigurationsList()) {
            for (ScopedRouteConfiguration s :
                hcm.getScopedRoutes()
                    .getScopedRouteConfigurationsList()
                    .getScopedRouteConfigurationsList()) {
              rds.add(s.getRouteConfigurationName());
            }
          }
        }
      }
    }
    return rds;
  }
}
