package io.keybrake.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.keybrake.core.key.KeyRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeybrakeSnapshotsTest {

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private final KeybrakeSnapshots snapshots = new KeybrakeSnapshots(XdsSettings.defaults());

  private static KeyRecord key(String id, String vendor) {
    return InMemoryKeyStore.key(id, vendor, NOW.minusSeconds(60), Optional.empty());
  }

  private static RouteConfiguration routes(Snapshot s) {
    return s.routes().resources().get(KeyRoutes.ROUTE_CONFIG_NAME);
  }

  @Test
  void everyActiveKeyHasARouteToItsVendorWithItsIdInMetadataThenA401() {
    Snapshot s =
        snapshots.snapshot(
            NodeGroups.SIDECAR, List.of(key("key_b", "stripe"), key("key_a", "twilio")));

    List<Route> routes = routes(s).getVirtualHosts(0).getRoutesList();
    assertThat(routes)
        .extracting(Route::getName)
        .containsExactly("key_key_a", "key_key_b", "invalid_key");
    Route a = routes.get(0);
    assertThat(a.getMatch().getHeaders(0).getName()).isEqualTo("x-keybrake-key-id");
    assertThat(a.getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("key_a");
    assertThat(a.getRoute().getCluster()).isEqualTo("vendor_twilio");
    assertThat(a.getRoute().getHostRewriteLiteral()).isEqualTo("api.twilio.com");
    assertThat(
            a.getMetadata()
                .getFilterMetadataOrThrow("keybrake")
                .getFieldsOrThrow("key_id")
                .getStringValue())
        .isEqualTo("key_a");
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo("vendor_stripe");
    Route fallback = routes.get(2);
    assertThat(fallback.getDirectResponse().getStatus()).isEqualTo(401);
    assertThat(fallback.getDirectResponse().getBody().getInlineString())
        .startsWith("{\"code\":\"invalid_key\"");
    assertThat(routes(s).getVirtualHosts(0).getRequestHeadersToRemoveList())
        .contains("x-keybrake-key-id");
  }

  @Test
  void revokedAndExpiredKeysAreNotActive() {
    KeyRecord live = key("key_live", "resend");
    KeyRecord revoked = key("key_revoked", "resend").withRevokedAt(NOW.minusSeconds(1));
    KeyRecord expired =
        InMemoryKeyStore.key("key_expired", "resend", NOW.minusSeconds(60), Optional.of(NOW));
    KeyRecord expiresLater =
        InMemoryKeyStore.key(
            "key_later", "resend", NOW.minusSeconds(60), Optional.of(NOW.plusSeconds(1)));

    assertThat(KeybrakeSnapshots.activeAt(List.of(live, revoked, expired, expiresLater), NOW))
        .extracting(KeyRecord::id)
        .containsExactly("key_later", "key_live");
  }

  @Test
  void aKeyChangeChangesOnlyTheRouteVersion() {
    Snapshot before = snapshots.snapshot(NodeGroups.SIDECAR, List.of(key("key_a", "twilio")));
    Snapshot same = snapshots.snapshot(NodeGroups.SIDECAR, List.of(key("key_a", "twilio")));
    Snapshot after = snapshots.snapshot(NodeGroups.SIDECAR, List.of());

    for (Resources.ResourceType t :
        List.of(
            Resources.ResourceType.CLUSTER,
            Resources.ResourceType.LISTENER,
            Resources.ResourceType.ROUTE)) {
      assertThat(same.version(t)).isEqualTo(before.version(t));
    }
    assertThat(after.version(Resources.ResourceType.ROUTE))
        .isNotEqualTo(before.version(Resources.ResourceType.ROUTE));
    assertThat(after.version(Resources.ResourceType.LISTENER))
        .isEqualTo(before.version(Resources.ResourceType.LISTENER));
    assertThat(after.version(Resources.ResourceType.CLUSTER))
        .isEqualTo(before.version(Resources.ResourceType.CLUSTER));
  }

  @Test
  void thePushedExtProcFilterTakesItsMessageTimeoutsFromTheSettingsAndAsksForTheResponseFlags()
      throws Exception {
    // the default outlasts the processor's slowest answer on a slow or failing ledger (a Redis
    // command deadline of 2 s, extended to at most 4 deadlines while Redis answers others), with
    // margin, so a slow ledger reaches the agent as the processor's 503, not as Envoy's 504
    ExternalProcessor byDefault = pushedFilter(XdsSettings.defaults());
    assertThat(toJava(byDefault.getMessageTimeout()))
        .isEqualTo(XdsSettings.DEFAULT_MESSAGE_TIMEOUT)
        .isGreaterThan(java.time.Duration.ofSeconds(2).multipliedBy(4).plusSeconds(1));
    assertThat(toJava(byDefault.getMaxMessageTimeout()))
        .isEqualTo(XdsSettings.DEFAULT_MAX_MESSAGE_TIMEOUT)
        .isGreaterThanOrEqualTo(toJava(byDefault.getMessageTimeout()));
    assertThat(byDefault.getResponseAttributesList())
        .containsExactly("response.flags", "response.code_details");
    assertThat(byDefault.getRequestAttributesList()).isEmpty();

    XdsSettings d = XdsSettings.defaults();
    ExternalProcessor set =
        pushedFilter(
            new XdsSettings(
                d.extProcHost(),
                d.extProcPort(),
                d.listenerPort(),
                java.time.Duration.ofMillis(12_500),
                java.time.Duration.ofSeconds(45),
                d.trustedCaFile(),
                d.vendors()));
    assertThat(toJava(set.getMessageTimeout())).isEqualTo(java.time.Duration.ofMillis(12_500));
    assertThat(toJava(set.getMaxMessageTimeout())).isEqualTo(java.time.Duration.ofSeconds(45));
  }

  /** The ext_proc filter of the listener a sidecar is pushed, parsed back into Envoy's proto. */
  private static ExternalProcessor pushedFilter(XdsSettings settings) throws Exception {
    Listener l =
        new KeybrakeSnapshots(settings)
            .snapshot(NodeGroups.SIDECAR, List.of())
            .listeners()
            .resources()
            .get("keybrake_egress");
    HttpConnectionManager hcm =
        HttpConnectionManager.parseFrom(
            l.getFilterChains(0).getFilters(0).getTypedConfig().getValue());
    for (HttpFilter f : hcm.getHttpFiltersList()) {
      if (f.getName().equals("envoy.filters.http.ext_proc")) {
        return ExternalProcessor.parseFrom(f.getTypedConfig().getValue());
      }
    }
    throw new AssertionError("no ext_proc filter in the pushed listener");
  }

  private static java.time.Duration toJava(com.google.protobuf.Duration d) {
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  @Test
  void theListenerRunsExtProcThenRouterWithTheAgreedSettings() throws Exception {
    Listener l =
        snapshots
            .snapshot(NodeGroups.SIDECAR, List.of())
            .listeners()
            .resources()
            .get("keybrake_egress");
    HttpConnectionManager hcm =
        l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    assertThat(hcm.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.lua", "envoy.filters.http.ext_proc", "envoy.filters.http.router");
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(KeyRoutes.ROUTE_CONFIG_NAME);
    assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(l.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");

    ExternalProcessor ep = hcm.getHttpFilters(1).getTypedConfig().unpack(ExternalProcessor.class);
    assertThat(ep.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("keybrake_ext_proc");
    assertThat(ep.getFailureModeAllow()).isFalse();
    assertThat(ep.getProcessingMode().getRequestHeaderMode())
        .isEqualTo(ProcessingMode.HeaderSendMode.SEND);
    assertThat(ep.getProcessingMode().getRequestBodyMode())
        .isEqualTo(ProcessingMode.BodySendMode.BUFFERED);
    assertThat(ep.getProcessingMode().getResponseHeaderMode())
        .isEqualTo(ProcessingMode.HeaderSendMode.SEND);
    assertThat(ep.getProcessingMode().getResponseBodyMode())
        .isEqualTo(ProcessingMode.BodySendMode.BUFFERED);
    assertThat(ep.getMessageTimeout().getSeconds()).isEqualTo(10);
    assertThat(ep.getMaxMessageTimeout().getSeconds()).isEqualTo(30);
    assertThat(ep.getAllowModeOverride()).isTrue();
    assertThat(ep.getMutationRules().getAllowAllRouting().getValue()).isFalse();
    assertThat(ep.getMutationRules().getDisallowSystem().getValue()).isFalse();
    assertThat(ep.getMutationRules().getDisallowIsError().getValue()).isTrue();
    assertThat(":authority").matches(ep.getMutationRules().getDisallowExpression().getRegex());
    assertThat(":path").doesNotMatch(ep.getMutationRules().getDisallowExpression().getRegex());
    assertThat("authorization")
        .doesNotMatch(ep.getMutationRules().getDisallowExpression().getRegex());
  }

  @Test
  void theGatewayPicksOneOfItsShardTablesByTheShardHeader() throws Exception {
    var s =
        snapshots.snapshot(
            NodeGroups.EGRESS_GATEWAY, List.of(key("key_a", "twilio"), key("key_b", "stripe")));
    Listener l = s.listeners().resources().get("keybrake_egress");
    HttpConnectionManager hcm =
        l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    var scoped = hcm.getScopedRoutes();
    assertThat(scoped.getScopeKeyBuilder().getFragments(0).getHeaderValueExtractor().getName())
        .isEqualTo(io.keybrake.core.key.RouteShards.HEADER);
    assertThat(scoped.getRdsConfigSource().hasAds()).isTrue();
    var scopes = scoped.getScopedRouteConfigurationsList().getScopedRouteConfigurationsList();
    assertThat(scopes).hasSize(io.keybrake.core.key.RouteShards.COUNT);
    String shardA = io.keybrake.core.key.RouteShards.of("key_a");
    var scopeA =
        scopes.stream()
            .filter(c -> c.getKey().getFragments(0).getStringKey().equals(shardA))
            .findFirst()
            .orElseThrow();
    RouteConfiguration tableA = s.routes().resources().get(scopeA.getRouteConfigurationName());
    assertThat(tableA.getVirtualHosts(0).getRoutesList())
        .extracting(Route::getName)
        .contains("key_key_a");
    assertThat(s.routes().resources()).hasSize(io.keybrake.core.key.RouteShards.COUNT);
  }

  @Test
  void versionsAreAFunctionOfContentWhateverTheOrderSettingsWereGivenIn() {
    java.util.Map<String, XdsSettings.VendorUpstream> forward = new java.util.LinkedHashMap<>();
    java.util.Map<String, XdsSettings.VendorUpstream> backward = new java.util.LinkedHashMap<>();
    List<String> names = List.of("resend", "stripe", "twilio");
    for (String n : names) {
      forward.put(n, new XdsSettings.VendorUpstream("api." + n + ".com", 443));
    }
    for (String n : List.of("twilio", "stripe", "resend")) {
      backward.put(n, new XdsSettings.VendorUpstream("api." + n + ".com", 443));
    }
    XdsSettings d = XdsSettings.defaults();
    var a =
        new KeybrakeSnapshots(
                new XdsSettings(
                    d.extProcHost(),
                    d.extProcPort(),
                    d.listenerPort(),
                    d.messageTimeout(),
                    d.maxMessageTimeout(),
                    d.trustedCaFile(),
                    forward))
            .snapshot(NodeGroups.EGRESS_GATEWAY, List.of(key("key_a", "twilio")));
    var b =
        new KeybrakeSnapshots(
                new XdsSettings(
                    d.extProcHost(),
                    d.extProcPort(),
                    d.listenerPort(),
                    d.messageTimeout(),
                    d.maxMessageTimeout(),
                    d.trustedCaFile(),
                    backward))
            .snapshot(NodeGroups.EGRESS_GATEWAY, List.of(key("key_a", "twilio")));
    for (var type : Resources.ResourceType.values()) {
      assertThat(a.version(type)).as(type.name()).isEqualTo(b.version(type));
    }
    assertThat(List.copyOf(a.clusters().resources().keySet()))
        .isEqualTo(List.copyOf(b.clusters().resources().keySet()));
    a.routes()
        .versionedResources()
        .forEach(
            (name, r) ->
                assertThat(r.version())
                    .isEqualTo(b.routes().versionedResources().get(name).version()));
  }

  @Test
  void theGatewayListensOnEveryInterface() {
    Listener l =
        snapshots
            .snapshot(NodeGroups.EGRESS_GATEWAY, List.of())
            .listeners()
            .resources()
            .get("keybrake_egress");
    assertThat(l.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
  }

  @Test
  void vendorClustersUseTlsWithSniAndTheExtProcClusterSpeaksHttp2WithHealthChecks()
      throws Exception {
    var clusters = snapshots.snapshot(NodeGroups.SIDECAR, List.of()).clusters().resources();
    assertThat(clusters.keySet())
        .containsExactlyInAnyOrder(
            "vendor_twilio", "vendor_stripe", "vendor_resend", "keybrake_ext_proc");
    Cluster twilio = clusters.get("vendor_twilio");
    assertThat(twilio.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
    UpstreamTlsContext tls =
        twilio.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("api.twilio.com");
    assertThat(tls.getCommonTlsContext().getValidationContext().getTrustedCa().getFilename())
        .isEqualTo("/etc/ssl/certs/ca-certificates.crt");
    assertThat(
            tls.getCommonTlsContext()
                .getValidationContext()
                .getMatchTypedSubjectAltNames(0)
                .getMatcher()
                .getExact())
        .isEqualTo("api.twilio.com");
    assertThat(
            twilio
                .getLoadAssignment()
                .getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getSocketAddress()
                .getPortValue())
        .isEqualTo(443);

    Cluster extProc = clusters.get("keybrake_ext_proc");
    HttpProtocolOptions opts =
        extProc
            .getTypedExtensionProtocolOptionsOrThrow(UpstreamClusters.HTTP_PROTOCOL_OPTIONS)
            .unpack(HttpProtocolOptions.class);
    assertThat(opts.getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
    assertThat(extProc.getHealthChecks(0).hasGrpcHealthCheck()).isTrue();
    assertThat(
            extProc
                .getLoadAssignment()
                .getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getSocketAddress()
                .getPortValue())
        .isEqualTo(50051);
  }

  /**
   * java-control-plane's own {@code ensureConsistent()} only knows the deprecated filter name
   * {@code envoy.http_connection_manager}; Envoy matches on the typed_config type, so we keep the
   * canonical name and check the reference ourselves.
   */
  @Test
  void everyRouteConfigTheListenerNamesIsInTheSnapshot() throws Exception {
    Snapshot s = snapshots.snapshot(NodeGroups.SIDECAR, List.of(key("key_a", "twilio")));
    for (Listener l : s.listeners().resources().values()) {
      String rds =
          l.getFilterChains(0)
              .getFilters(0)
              .getTypedConfig()
              .unpack(HttpConnectionManager.class)
              .getRds()
              .getRouteConfigName();
      assertThat(s.routes().resources()).containsKey(rds);
    }
    assertThat(s.endpoints().resources()).isEmpty();
  }

  @Test
  void settingsRefuseACeilingBelowTheTimeout() {
    XdsSettings d = XdsSettings.defaults();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new XdsSettings(
                    d.extProcHost(),
                    d.extProcPort(),
                    d.listenerPort(),
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(1),
                    d.trustedCaFile(),
                    d.vendors()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
