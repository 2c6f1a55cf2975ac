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
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.List;
import java.util.TreeSet;

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
  public static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";

  /** SDS names of the vendor-host certificates: this prefix, then the host. */
  public static final String TLS_SECRET_PREFIX = "keybrake-tls/";

  static final String TLS = "tls";
  static final String RAW_BUFFER = "raw_buffer";

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
    return listener(group, List.of());
  }

  /**
   * The listener for a node group. A sidecar given {@code tlsHosts} (the vendor hosts whose
   * certificates the snapshot serves over SDS as {@link #tlsSecretName}) also terminates TLS for
   * them: the TLS inspector reads the SNI, each host gets a filter chain whose certificate comes
   * over SDS (ADS), and the same HTTP connection manager runs behind it (ext_proc, then the per-key
   * routes to the vendor clusters, which speak TLS to the real vendor). Plain HTTP keeps its own
   * chain; a TLS connection for any other name matches no chain and is closed. Gateways ignore
   * {@code tlsHosts}.
   */
  public Listener listener(String group, List<String> tlsHosts) {
    String bind = NodeGroups.isGateway(group) ? "0.0.0.0" : "127.0.0.1";
    Filter hcm =
        Filter.newBuilder().setName(HCM_FILTER).setTypedConfig(Any.pack(hcm(group))).build();
    Listener.Builder listener =
        Listener.newBuilder()
            .setName(LISTENER_NAME)
            .setAddress(
                Address.newBuilder()
                    .setSocketAddress(
                        SocketAddress.newBuilder()
                            .setAddress(bind)
                            .setPortValue(settings.listenerPort())))
            .setPerConnectionBufferLimitBytes(UInt32Value.of(BUFFER_LIMIT_BYTES));
    List<String> hosts =
        NodeGroups.isGateway(group) ? List.of() : new TreeSet<>(tlsHosts).stream().toList();
    if (hosts.isEmpty()) {
      return listener.addFilterChains(FilterChain.newBuilder().addFilters(hcm)).build();
    }
    listener
        .addListenerFilters(
            ListenerFilter.newBuilder()
                .setName(TLS_INSPECTOR)
                .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())))
        .addFilterChains(
            FilterChain.newBuilder()
                .setName("plaintext")
                .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol(RAW_BUFFER))
                .addFilters(hcm));
    for (String host : hosts) {
      listener.addFilterChains(
          FilterChain.newBuilder()
              .setName("tls_" + host)
              .setFilterChainMatch(
                  FilterChainMatch.newBuilder().addServerNames(host).setTransportProtocol(TLS))
              .setTransportSocket(
                  TransportSocket.newBuilder()
                      .setName(UpstreamClusters.TLS_SOCKET)
                      .setTypedConfig(Any.pack(downstreamTls(host))))
              .addFilters(hcm));
    }
    return listener.build();
  }

  /** The SDS name of the certificate Envoy terminates {@code host} with. */
  public static String tlsSecretName(String host) {
    return TLS_SECRET_PREFIX + host;
  }

  /** The hosts named by those of {@code sds} that are vendor-host certificates, sorted. */
  public static List<String> tlsHosts(List<Secret> sds) {
    return sds.stream()
        .map(Secret::getName)
        .filter(n -> n.startsWith(TLS_SECRET_PREFIX) && n.length() > TLS_SECRET_PREFIX.length())
        .map(n -> n.substring(TLS_SECRET_PREFIX.length()))
        .sorted()
        .distinct()
        .toList();
  }

  /**
   * TLS 1.2 or later, HTTP/2 or HTTP/1.1 by ALPN, and the host's certificate from SDS over the ADS
   * stream, so a rotation reaches Envoy without touching the listener.
   */
  static DownstreamTlsContext downstreamTls(String host) {
    return DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(
            CommonTlsContext.newBuilder()
                .setTlsParams(
                    TlsParameters.newBuilder()
                        .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2))
                .addAlpnProtocols("h2")
                .addAlpnProtocols("http/1.1")
                .addTlsCertificateSdsSecretConfigs(
                    SdsSecretConfig.newBuilder().setName(tlsSecretName(host)).setSdsConfig(ads())))
        .build();
  }

  private HttpConnectionManager hcm(String group) {
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
    if (NodeGroups.isGateway(group)) {
      hcm.setScopedRoutes(GatewayScopes.scopedRoutes(ads())); // one RDS table per shard
    } else {
      hcm.setRds(
          Rds.newBuilder().setRouteConfigName(KeyRoutes.ROUTE_CONFIG_NAME).setConfigSource(ads()));
    }
    return hcm.build();
  }

  private static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
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
