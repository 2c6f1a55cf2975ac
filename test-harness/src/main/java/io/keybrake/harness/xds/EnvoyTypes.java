package io.keybrake.harness.xds;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.TypeRegistry;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import java.util.Set;

/**
 * The Envoy message types a Keybrake deployment may carry in a {@code typed_config} or an xDS
 * response: the registry an Envoy built with these extensions knows. Anything else is an unknown
 * type and fails validation, as it would in Envoy. Immutable and thread-safe.
 */
public final class EnvoyTypes {

  /** Every type, top-level resources first, then the typed_config extensions. */
  public static final List<Descriptor> DESCRIPTORS =
      List.of(
          Bootstrap.getDescriptor(),
          Listener.getDescriptor(),
          Cluster.getDescriptor(),
          RouteConfiguration.getDescriptor(),
          ClusterLoadAssignment.getDescriptor(),
          HttpConnectionManager.getDescriptor(),
          ExternalProcessor.getDescriptor(),
          Router.getDescriptor(),
          UpstreamTlsContext.getDescriptor(),
          HttpProtocolOptions.getDescriptor(),
          Lua.getDescriptor(),
          DownstreamTlsContext.getDescriptor(),
          TlsInspector.getDescriptor());

  /**
   * The types Envoy has an extension factory for in a Keybrake deployment: the only ones allowed
   * inside a {@code typed_config}. (A {@link TypeRegistry} also resolves every message of the files
   * these import, such as {@code google.protobuf.StringValue}, which Envoy would refuse.)
   */
  public static final Set<String> EXTENSIONS =
      Set.of(
          HttpConnectionManager.getDescriptor().getFullName(),
          ExternalProcessor.getDescriptor().getFullName(),
          Router.getDescriptor().getFullName(),
          UpstreamTlsContext.getDescriptor().getFullName(),
          HttpProtocolOptions.getDescriptor().getFullName(),
          Lua.getDescriptor().getFullName(),
          DownstreamTlsContext.getDescriptor().getFullName(),
          TlsInspector.getDescriptor().getFullName());

  private static final TypeRegistry REGISTRY = TypeRegistry.newBuilder().add(DESCRIPTORS).build();

  private EnvoyTypes() {}

  /** The registry for resolving {@code google.protobuf.Any} type URLs. */
  public static TypeRegistry registry() {
    return REGISTRY;
  }

  /** {@code type.googleapis.com/} and the full name. */
  public static String typeUrl(Descriptor d) {
    return "type.googleapis.com/" + d.getFullName();
  }
}
