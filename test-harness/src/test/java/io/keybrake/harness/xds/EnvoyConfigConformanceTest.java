package io.keybrake.harness.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.keybrake.controlplane.xds.InMemoryKeyStore;
import io.keybrake.controlplane.xds.KeybrakeSnapshots;
import io.keybrake.controlplane.xds.NodeGroups;
import io.keybrake.controlplane.xds.XdsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every Envoy config we ship or serve, read with Envoy's own protos and no leniency. */
class EnvoyConfigConformanceTest {

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final StrictProto STRICT = StrictProto.envoy();

  private static Snapshot generated(String group) {
    return new KeybrakeSnapshots(XdsSettings.defaults())
        .snapshot(
            group,
            List.of(
                InMemoryKeyStore.key("key_t", "twilio", NOW, Optional.empty()),
                InMemoryKeyStore.key("key_s", "stripe", NOW, Optional.empty()),
                InMemoryKeyStore.key("key_r", "resend", NOW, Optional.empty())));
  }

  private static Bootstrap staticSidecar() throws IOException {
    return EnvoyYaml.bootstrap(EnvoyYaml.envoyDir().resolve("static/sidecar-static.yaml"));
  }

  @Test
  void everyShippedYamlParsesIntoBootstrapWithNoUnknownFieldOrType() throws IOException {
    List<Path> files = EnvoyYaml.allYaml();
    assertThat(files.stream().map(p -> EnvoyYaml.envoyDir().relativize(p).toString()))
        .contains(
            "sidecar/bootstrap.yaml",
            "egress-gateway/bootstrap.yaml",
            "static/sidecar-static.yaml");
    for (Path f : files) {
      Bootstrap b = EnvoyYaml.bootstrap(f);
      assertThat(STRICT.check(b)).as(f.toString()).isEmpty();
      assertThat(EnvoyYaml.roundTrip(b)).as(f.toString()).isEqualTo(b);
      for (Listener l : b.getStaticResources().getListenersList()) {
        assertThat(EnvoyRules.listener(l)).as(f + " " + l.getName()).isEmpty();
      }
      for (Cluster c : b.getStaticResources().getClustersList()) {
        assertThat(EnvoyRules.cluster(c)).as(f + " " + c.getName()).isEmpty();
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
    "misspelled-field.yaml, failure_mode_alow, failure_mode_allow",
    "unknown-enum.yaml, BUFERED, BUFFERED",
    "unknown-type.yaml, ExternalProcesor, ExternalProcessor"
  })
  void aMistakeInTheYamlIsRefusedAndOnlyThatMistake(String fixture, String wrong, String right)
      throws IOException {
    String yaml =
        Files.readString(
            Path.of(
                System.getProperty("basedir", "."), "src/test/resources/envoy-invalid", fixture));
    assertThat(yaml).contains(wrong);

    assertThatThrownBy(() -> EnvoyYaml.bootstrap(yaml))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining(wrong);
    assertThat(EnvoyYaml.bootstrap(yaml.replace(wrong, right))).isNotNull();
  }

  @Test
  void theBootstrapsReachTheControlPlaneOverAdsAndHttp2InTheirOwnGroup() throws Exception {
    for (String group : NodeGroups.ALL) {
      Bootstrap b = EnvoyYaml.bootstrap(EnvoyYaml.envoyDir().resolve(group + "/bootstrap.yaml"));
      assertThat(new NodeGroups().hash(b.getNode())).isEqualTo(group);
      var ads = b.getDynamicResources().getAdsConfig();
      assertThat(ads.getGrpcServices(0).getEnvoyGrpc().getClusterName()).isEqualTo("keybrake_xds");
      assertThat(ads.getSetNodeOnFirstMessageOnly()).isFalse();
      assertThat(b.getDynamicResources().getCdsConfig().hasAds()).isTrue();
      assertThat(b.getDynamicResources().getLdsConfig().hasAds()).isTrue();
      Cluster xds = b.getStaticResources().getClusters(0);
      assertThat(xds.getName()).isEqualTo("keybrake_xds");
      assertThat(
              xds.getLoadAssignment()
                  .getEndpoints(0)
                  .getLbEndpoints(0)
                  .getEndpoint()
                  .getAddress()
                  .getSocketAddress()
                  .getPortValue())
          .isEqualTo(XdsSettings.DEFAULT_XDS_PORT);
      assertThat(
              xds.getTypedExtensionProtocolOptionsOrThrow(
                      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                  .unpack(HttpProtocolOptions.class)
                  .getExplicitHttpConfig()
                  .hasHttp2ProtocolOptions())
          .isTrue();
    }
  }

  @Test
  void everyGeneratedResourceRoundTripsAndEveryTypedConfigUnpacks() throws Exception {
    for (String group : NodeGroups.ALL) {
      Snapshot s = generated(group);
      List<Message> all = new ArrayList<>();
      all.addAll(s.listeners().resources().values());
      all.addAll(s.clusters().resources().values());
      all.addAll(s.routes().resources().values());
      // a gateway's routes are one table per shard; a sidecar's one table
      assertThat(all)
          .hasSize(
              1 + 4 + (NodeGroups.isGateway(group) ? io.keybrake.core.key.RouteShards.COUNT : 1));
      for (Message m : all) {
        assertThat(STRICT.checkResource(Any.pack(m), Any.pack(m).getTypeUrl(), group)).isEmpty();
        assertThat(EnvoyYaml.roundTrip(m)).isEqualTo(m);
      }

      Listener l = s.listeners().resources().get("keybrake_egress");
      HttpConnectionManager hcm =
          l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
      assertThat(hcm.getHttpFilters(0).getTypedConfig().unpack(Lua.class)).isNotNull();
      assertThat(hcm.getHttpFilters(1).getTypedConfig().unpack(ExternalProcessor.class))
          .isNotNull();
      assertThat(hcm.getHttpFilters(2).getTypedConfig().unpack(Router.class)).isNotNull();
      for (Cluster c : s.clusters().resources().values()) {
        if (c.getName().startsWith("vendor_")) {
          assertThat(
                  c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getSni())
              .startsWith("api.");
        } else {
          assertThat(
                  c.getTypedExtensionProtocolOptionsOrThrow(
                          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                      .unpack(HttpProtocolOptions.class)
                      .getExplicitHttpConfig()
                      .hasHttp2ProtocolOptions())
              .isTrue();
        }
      }
      RouteConfiguration rc = s.routes().resources().values().iterator().next();
      assertThat(EnvoyRules.routeConfiguration(rc)).isEmpty();
      assertThat(EnvoyRules.listener(l)).isEmpty();
    }
  }

  @Test
  void theStaticConfigUsesTheSameExtProcFilterAsTheControlPlane() throws Exception {
    ExternalProcessor fromYaml = extProc(staticSidecar().getStaticResources().getListeners(0));
    ExternalProcessor generatedFilter =
        extProc(generated(NodeGroups.SIDECAR).listeners().resources().get("keybrake_egress"));

    assertThat(fromYaml).isEqualTo(generatedFilter);
    assertThat(fromYaml.getFailureModeAllow()).isFalse();
    assertThat(fromYaml.getMessageTimeout().getSeconds()).isEqualTo(10);
    assertThat(fromYaml.getMaxMessageTimeout().getSeconds()).isEqualTo(30);
    assertThat(fromYaml.getResponseAttributesList())
        .containsExactly("response.flags", "response.code_details");
  }

  @Test
  void theStaticConfigHasTheSameClustersListenerShapeAndFallbackAsTheControlPlane()
      throws Exception {
    Bootstrap b = staticSidecar();
    Snapshot s = generated(NodeGroups.SIDECAR);
    Map<String, Cluster> fromYaml =
        b.getStaticResources().getClustersList().stream()
            .collect(Collectors.toMap(Cluster::getName, Function.identity()));
    assertThat(fromYaml).isEqualTo(s.clusters().resources());

    Listener yamlListener = b.getStaticResources().getListeners(0);
    Listener generatedListener = s.listeners().resources().get("keybrake_egress");
    assertThat(yamlListener.getAddress()).isEqualTo(generatedListener.getAddress());
    assertThat(yamlListener.getPerConnectionBufferLimitBytes())
        .isEqualTo(generatedListener.getPerConnectionBufferLimitBytes());
    assertThat(hcm(yamlListener).getHttpFiltersList())
        .isEqualTo(hcm(generatedListener).getHttpFiltersList());

    List<Route> yamlRoutes = hcm(yamlListener).getRouteConfig().getVirtualHosts(0).getRoutesList();
    List<Route> generatedRoutes =
        s.routes().resources().values().iterator().next().getVirtualHosts(0).getRoutesList();
    assertThat(yamlRoutes.get(yamlRoutes.size() - 1))
        .isEqualTo(generatedRoutes.get(generatedRoutes.size() - 1));
  }

  @Test
  void everyListenerStripsAgentSentEnvoyAndKeybrakeHeadersBeforeExtProc() throws Exception {
    List<Listener> listeners =
        new ArrayList<>(staticSidecar().getStaticResources().getListenersList());
    for (String group : NodeGroups.ALL) {
      listeners.add(generated(group).listeners().resources().get("keybrake_egress"));
    }
    for (Listener l : listeners) {
      List<String> names = hcm(l).getHttpFiltersList().stream().map(HttpFilter::getName).toList();
      assertThat(names)
          .as(l.getName())
          .containsExactly(
              "envoy.filters.http.lua", "envoy.filters.http.ext_proc", "envoy.filters.http.router");
      String lua =
          hcm(l)
              .getHttpFilters(0)
              .getTypedConfig()
              .unpack(Lua.class)
              .getDefaultSourceCode()
              .getInlineString();
      assertThat(lua)
          .contains("function envoy_on_request(")
          .contains("string.sub(n, 1, 8) == \"x-envoy-\"")
          .contains("string.sub(n, 1, 11) == \"x-keybrake-\"")
          .contains("headers:remove(name)");
    }
  }

  private static HttpConnectionManager hcm(Listener l) throws InvalidProtocolBufferException {
    return l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  private static ExternalProcessor extProc(Listener l) throws InvalidProtocolBufferException {
    HttpFilter f =
        hcm(l).getHttpFiltersList().stream()
            .filter(h -> h.getName().equals("envoy.filters.http.ext_proc"))
            .findFirst()
            .orElseThrow();
    return f.getTypedConfig().unpack(ExternalProcessor.class);
  }
}
