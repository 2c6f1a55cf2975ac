package io.keybrake.controlplane.xds;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;

/**
 * A built route table and its version, a digest of its content ({@link KeyRoutes#tableVersion})
 * (the same on every replica and after every restart, so a reconnecting Envoy that holds it is not
 * sent it again).
 */
record RouteTable(RouteConfiguration config, String version) {
  String name() {
    return config.getName();
  }
}
