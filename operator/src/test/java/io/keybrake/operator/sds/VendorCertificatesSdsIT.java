package io.keybrake.operator.sds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keybrake.controlplane.xds.EgressListener;
import io.keybrake.controlplane.xds.KeyRoutes;
import io.keybrake.controlplane.xds.KeySnapshotPublisher;
import io.keybrake.controlplane.xds.KeybrakeSnapshots;
import io.keybrake.controlplane.xds.NodeGroups;
import io.keybrake.controlplane.xds.UpstreamClusters;
import io.keybrake.controlplane.xds.XdsServer;
import io.keybrake.controlplane.xds.XdsSettings;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.harness.xds.EnvoyXdsClient;
import io.keybrake.store.EmbeddedStore;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness's Envoy-faithful xDS client receives, over ADS, a certificate for api.twilio.com that
 * chains to the cluster CA, and a new one before the first expires (the clock is injected).
 */
class VendorCertificatesSdsIT {
  static final String TWILIO = VendorCertificates.secretName("api.twilio.com");
  static final String STRIPE = VendorCertificates.secretName("api.stripe.com");
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path data;
  MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  ClusterCa ca = ClusterCa.generate("Keybrake test CA", clock.instant(), Duration.ofDays(365));
  EmbeddedStore store;
  XdsServer xds;
  KeySnapshotPublisher publisher;
  ManagedChannel channel;
  ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() throws Exception {
    store = EmbeddedStore.open(data, Optional.empty(), clock);
    String name = InProcessServerBuilder.generateName();
    xds = new XdsServer(InProcessServerBuilder.forName(name), clock).start();
    VendorCertificates certs =
        new VendorCertificates(
            ca, List.of("api.twilio.com", "api.stripe.com"), Duration.ofHours(24));
    publisher =
        new KeySnapshotPublisher(
                store.keyStore(),
                new KeybrakeSnapshots(XdsSettings.defaults(), certs),
                xds.cache(),
                clock,
                scheduler,
                Duration.ofMillis(50))
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    publisher.close();
    scheduler.shutdownNow();
    channel.shutdownNow();
    xds.close();
    store.close();
  }

  @Test
  void envoyGetsAVendorCertificateChainingToTheCaAndANewOneBeforeExpiry() throws Exception {
    try (EnvoyXdsClient envoy = EnvoyXdsClient.connect(channel, "team-a.agent-1", "sidecar")) {
      // no explicit subscription: the client asks for what the listener's TLS chains name
      assertThat(
              envoy.awaitExchange(
                  e ->
                      e.typeUrl().equals(EnvoyXdsClient.SDS)
                          && e.accepted()
                          && envoy.secrets().size() == 2,
                  WAIT))
          .isTrue();
      List<X509Certificate> first = chain(envoy.secrets().get(TWILIO));
      X509Certificate leaf = first.get(0);
      List<String> names =
          leaf.getSubjectAlternativeNames().stream()
              .map(san -> String.valueOf(san.get(1)))
              .toList();
      assertThat(names).containsExactly("api.twilio.com");
      assertChainsToCa(first, clock.instant());
      assertThat(envoy.secrets()).containsOnlyKeys(TWILIO, STRIPE); // what the listener names

      // 17 of 24 hours later, a third of the lifetime is left: a new certificate arrives while
      // the first one is still valid
      clock.advance(Duration.ofHours(17));
      Instant rotatedAt = clock.instant();
      assertThat(leaf.getNotAfter().toInstant()).isAfter(rotatedAt);
      assertThat(
              envoy.awaitExchange(
                  e ->
                      e.typeUrl().equals(EnvoyXdsClient.SDS)
                          && e.accepted()
                          && !chain(envoy.secrets().get(TWILIO))
                              .get(0)
                              .getSerialNumber()
                              .equals(leaf.getSerialNumber()),
                  WAIT))
          .isTrue();
      List<X509Certificate> second = chain(envoy.secrets().get(TWILIO));
      assertThat(second.get(0).getNotAfter()).isAfter(leaf.getNotAfter());
      assertChainsToCa(second, rotatedAt);
    }
  }

  @Test
  void theSidecarListenerTerminatesTlsForExactlyTheHostsSdsServes() throws Exception {
    try (EnvoyXdsClient envoy = EnvoyXdsClient.connect(channel, "team-a.agent-1", "sidecar")) {
      assertThat(
              envoy.awaitExchange(
                  e ->
                      e.typeUrl().equals(EnvoyXdsClient.SDS)
                          && e.accepted()
                          && envoy.secrets().size() == 2,
                  WAIT))
          .isTrue();
      Listener listener = envoy.state().listeners().get(EgressListener.LISTENER_NAME);
      assertThat(listener.getListenerFiltersList())
          .extracting(ListenerFilter::getName)
          .containsExactly(EgressListener.TLS_INSPECTOR);
      assertThat(listener.getListenerFilters(0).getTypedConfig().is(TlsInspector.class)).isTrue();
      assertThat(listener.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
      assertThat(listener.getAddress().getSocketAddress().getPortValue())
          .isEqualTo(XdsSettings.defaults().listenerPort());

      Map<String, String> secretByHost = new TreeMap<>();
      for (FilterChain chain : listener.getFilterChainsList()) {
        HttpConnectionManager hcm =
            chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getHttpFiltersList())
            .extracting(HttpFilter::getName)
            .contains(EgressListener.EXT_PROC_FILTER)
            .endsWith(EgressListener.ROUTER_FILTER);
        assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(KeyRoutes.ROUTE_CONFIG_NAME);
        if (!chain.hasTransportSocket()) {
          assertThat(chain.getFilterChainMatch().getTransportProtocol()).isEqualTo("raw_buffer");
          continue;
        }
        assertThat(chain.getFilterChainMatch().getTransportProtocol()).isEqualTo("tls");
        DownstreamTlsContext tls =
            chain.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
        List<SdsSecretConfig> sds =
            tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList();
        assertThat(sds).hasSize(1);
        assertThat(sds.get(0).getSdsConfig().hasAds()).isTrue();
        assertThat(chain.getFilterChainMatch().getServerNamesList()).hasSize(1);
        secretByHost.put(chain.getFilterChainMatch().getServerNames(0), sds.get(0).getName());
      }
      // one chain per served certificate, each naming its own host's secret, and nothing else
      assertThat(secretByHost)
          .containsExactlyEntriesOf(
              new TreeMap<>(Map.of("api.stripe.com", STRIPE, "api.twilio.com", TWILIO)));
      assertThat(Set.copyOf(secretByHost.values())).isEqualTo(envoy.secrets().keySet());

      // the certificate SDS serves for api.twilio.com is for that host and chains to the CA
      List<X509Certificate> twilio = chain(envoy.secrets().get(TWILIO));
      assertThat(twilio.get(0).getSubjectAlternativeNames())
          .extracting(san -> String.valueOf(san.get(1)))
          .containsExactly("api.twilio.com");
      assertChainsToCa(twilio, clock.instant());

      // and the routes' vendor cluster speaks TLS to the real vendor, checking its name
      Cluster vendor = envoy.state().clusters().get(UpstreamClusters.vendorCluster("twilio"));
      UpstreamTlsContext upstream =
          vendor.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
      assertThat(upstream.getSni()).isEqualTo("api.twilio.com");
    }
  }

  @Test
  void aGatewayGetsNoVendorTlsChains() throws Exception {
    try (EnvoyXdsClient gateway =
        EnvoyXdsClient.connect(channel, "gw-1", NodeGroups.EGRESS_GATEWAY)) {
      assertThat(gateway.await(s -> s.listeners().containsKey(EgressListener.LISTENER_NAME), WAIT))
          .isTrue();
      Listener listener = gateway.state().listeners().get(EgressListener.LISTENER_NAME);
      assertThat(listener.getFilterChainsList()).hasSize(1);
      assertThat(listener.getFilterChains(0).hasTransportSocket()).isFalse();
      assertThat(gateway.secrets()).isEmpty();
    }
  }

  private static List<X509Certificate> chain(Secret secret) {
    try {
      return ClusterCa.parseCertificates(
          secret.getTlsCertificate().getCertificateChain().getInlineString());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void assertChainsToCa(List<X509Certificate> chain, Instant at) throws Exception {
    assertThat(chain).hasSize(2);
    assertThat(chain.get(1)).isEqualTo(ca.certificate());
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.certificate(), null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, 1)), params);
  }
}
