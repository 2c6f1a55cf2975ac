package io.keybrake.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ScopedRouteConfigurationsList;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ScopedRoutes;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ScopedRoutes.ScopeKeyBuilder;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ScopedRoutes.ScopeKeyBuilder.FragmentBuilder;
import io.keybrake.core.key.RouteShards;

/**
 * An egress gateway's route selection: {@link RouteShards#COUNT} scopes, listed in the listener,
 * keyed by the {@value RouteShards#HEADER} header the processor sets; each scope's routes are the
 * RDS table {@link KeyRoutes#shardTableName}. A key change then re-sends one table over delta xDS
 * instead of the route of every key. (java-control-plane 1.0.49 serves CDS, EDS, LDS, RDS and SDS,
 * state of the world and delta, but neither SRDS nor VHDS, so the scope list travels inline in the
 * listener, which never changes with keys.) Stateless and thread-safe.
 */
final class GatewayScopes {
  static final String NAME = "keybrake_egress_scopes";

  private GatewayScopes() {}

  static ScopedRoutes scopedRoutes(ConfigSource rdsSource) {
    ScopedRouteConfigurationsList.Builder scopes = ScopedRouteConfigurationsList.newBuilder();
    for (int i = 0; i < RouteShards.COUNT; i++) {
      String shard = RouteShards.name(i);
      scopes.addScopedRouteConfigurations(
          ScopedRouteConfiguration.newBuilder()
              .setName("shard_" + shard)
              .setRouteConfigurationName(KeyRoutes.shardTableName(shard))
              .setKey(
                  ScopedRouteConfiguration.Key.newBuilder()
                      .addFragments(
                          ScopedRouteConfiguration.Key.Fragment.newBuilder().setStringKey(shard))));
    }
    return ScopedRoutes.newBuilder()
        .setName(NAME)
        .setScopeKeyBuilder(
            ScopeKeyBuilder.newBuilder()
                .addFragments(
                    FragmentBuilder.newBuilder()
                        .setHeaderValueExtractor(
                            FragmentBuilder.HeaderValueExtractor.newBuilder()
                                .setName(RouteShards.HEADER)
                                .setElementSeparator(",")
                                .setIndex(0))))
        .setRdsConfigSource(rdsSource)
        .setScopedRouteConfigurationsList(scopes)
        .build();
  }
}
