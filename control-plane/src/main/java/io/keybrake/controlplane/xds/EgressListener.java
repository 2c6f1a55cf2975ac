package io.keybrake.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.common.mutation_rules.v3.HeaderMutationRules;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;

/**
 * Builds the egress {@link Listener}: one HTTP connection manager whose filter chain is the
 * agent-header strip ({@link AgentHeaderFilter}), ext_proc, then router, with routes from RDS over
 * ADS (so a key change never touches the listener and never drains connections). Stateless and
 * thread-safe.
 */
public final class EgressListener {

  public static final String LISTENER_NAME = "keybrake_egress";
  public static final String EXT_PROC_FILTER = "envoy.filters.http.ext_proc";
  public static final String ROUTER_FILTER = "envoy.filters.http.router";
  public static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";

  /**
   * Headers Envoy must never let the processor touch. They are already protected by the defaults;
   * naming them again keeps them protected if someone turns on {@code allow_all_routing}.
   */
  static final String ROUTING_CRITICAL_HEADERS = "^(host|:authority|:scheme|:method|x-envoy-.*)$";

  /** Default per-connection buffer limit: a BUFFERED body over it gets 413 from Envoy. */
  static final int BUFFER_LIMIT_BYTES = 1024 * 1024;

  private final XdsSettings settings;

  public EgressListener(XdsSettings settings) {
    this.settings = settings;
  }

  /** The listener for a node group: sidecars bind loopback, gateways every interface. */
  public Listener listener(String group) {
    String bind = NodeGroups.isGateway(group) ? "0.0.0.0" : "127.0.0.1";
    HttpConnectionManager.Builder hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("keybrake_egress")
            .setCodecType(HttpConnectionManager.CodecType.AUTO)
            .setUseRemoteAddress(BoolValue.of(NodeGroups.EGRESS_GATEWAY.equals(group)))
            .addHttpFilters(AgentHeaderFilter.filter())
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(EXT_PROC_FILTER)
                    .setTypedConfig(Any.pack(extProcessor())))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(ROUTER_FILTER)
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())));
    ConfigSource ads =
        ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance())
            .setResourceApiVersion(ApiVersion.V3)
            .build();
    if (NodeGroups.isGateway(group)) {
      hcm.setScopedRoutes(GatewayScopes.scopedRoutes(ads)); // one RDS table per shard
    } else {
      hcm.setRds(
          Rds.newBuilder().setRouteConfigName(KeyRoutes.ROUTE_CONFIG_NAME).setConfigSource(ads));
    }
    return Listener.newBuilder()
        .setName(LISTENER_NAME)
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(
                    SocketAddress.newBuilder()
                        .setAddress(bind)
                        .setPortValue(settings.listenerPort())))
        .setPerConnectionBufferLimitBytes(UInt32Value.of(BUFFER_LIMIT_BYTES))
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder().setName(HCM_FILTER).setTypedConfig(Any.pack(hcm.build()))))
        .build();
  }

  /**
   * The ext_proc filter config. Bodies are BUFFERED both ways (the decision needs the whole form or
   * JSON body; settlement needs the whole vendor response), failure is closed, and the processor
   * may only rewrite what the decision pipeline rewrites.
   */
  /**
   * The attributes Envoy sends with the response headers: {@code response.flags} (a bit vector: no
   * healthy upstream, connection failure, …) and {@code response.code_details}; the processor
   * releases the reservation of a call that never reached the vendor.
   */
  public static final java.util.List<String> NEVER_SENT_ATTRIBUTES =
      java.util.List.of("response.flags", "response.code_details");

  public ExternalProcessor extProcessor() {
    return ExternalProcessor.newBuilder()
        .setGrpcService(
            GrpcService.newBuilder()
                .setEnvoyGrpc(
                    GrpcService.EnvoyGrpc.newBuilder()
                        .setClusterName(UpstreamClusters.EXT_PROC_CLUSTER)))
        .setFailureModeAllow(false)
        .setProcessingMode(
            ProcessingMode.newBuilder()
                .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
                .setRequestBodyMode(ProcessingMode.BodySendMode.BUFFERED)
                .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
                .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SEND)
                .setResponseBodyMode(ProcessingMode.BodySendMode.BUFFERED)
                .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP))
        .setMessageTimeout(duration(settings.messageTimeout()))
        .setMaxMessageTimeout(duration(settings.maxMessageTimeout()))
        .setAllowModeOverride(true)
        // with the response headers, Envoy says whether the request reached the vendor at all
        .addAllResponseAttributes(NEVER_SENT_ATTRIBUTES)
        .setStatPrefix("keybrake")
        .setMutationRules(
            HeaderMutationRules.newBuilder()
                .setAllowAllRouting(BoolValue.of(false))
                .setAllowEnvoy(BoolValue.of(false))
                .setDisallowSystem(BoolValue.of(false))
                .setDisallowIsError(BoolValue.of(true))
                .setDisallowExpression(
                    RegexMatcher.newBuilder().setRegex(ROUTING_CRITICAL_HEADERS)))
        .build();
  }

  private static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
