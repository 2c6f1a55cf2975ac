package io.keybrake.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sidecar's egress listener terminates TLS for the vendor hosts whose certificates it gets. */
class SidecarTlsListenerTest {
  private final KeybrakeSnapshots snapshots = new KeybrakeSnapshots(XdsSettings.defaults());

  private static Secret cert(String host, String pem) {
    return Secret.newBuilder()
        .setName(EgressListener.tlsSecretName(host))
        .setTlsCertificate(
            TlsCertificate.newBuilder()
                .setCertificateChain(DataSource.newBuilder().setInlineString(pem))
                .setPrivateKey(DataSource.newBuilder().setInlineString("key-" + pem)))
        .build();
  }

  private static Listener listener(Snapshot s) {
    return s.listeners().resources().get(EgressListener.LISTENER_NAME);
  }

  @Test
  void withoutCertificatesTheListenerIsPlainHttpOnly() {
    Listener l = listener(snapshots.snapshot(NodeGroups.SIDECAR, List.of(), List.of()));
    assertThat(l.getListenerFiltersList()).isEmpty();
    assertThat(l.getFilterChainsList()).hasSize(1);
    assertThat(l.getFilterChains(0).hasFilterChainMatch()).isFalse();
  }

  @Test
  void aSidecarGetsOneTlsChainPerServedCertificateBySni() throws Exception {
    List<Secret> sds =
        List.of(cert("api.twilio.com", "a"), cert("api.stripe.com", "b"), otherSecret());
    Listener l = listener(snapshots.snapshot(NodeGroups.boundSidecar("team-a.p"), List.of(), sds));

    assertThat(l.getListenerFilters(0).getName()).isEqualTo(EgressListener.TLS_INSPECTOR);
    assertThat(l.getFilterChainsList())
        .extracting(FilterChain::getName)
        .containsExactly("plaintext", "tls_api.stripe.com", "tls_api.twilio.com");
    FilterChain twilio = l.getFilterChains(2);
    assertThat(twilio.getFilterChainMatch().getServerNamesList()).containsExactly("api.twilio.com");
    DownstreamTlsContext tls =
        twilio.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("keybrake-tls/api.twilio.com");
    assertThat(tls.getCommonTlsContext().getTlsParams().getTlsMinimumProtocolVersion())
        .isEqualTo(TlsParameters.TlsProtocol.TLSv1_2);
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    // the same connection manager (ext_proc, per-key routes) behind every chain
    assertThat(twilio.getFilters(0)).isEqualTo(l.getFilterChains(0).getFilters(0));
  }

  @Test
  void aRotatedCertificateChangesTheSecretsVersionButNotTheListeners() {
    Snapshot before =
        snapshots.snapshot(NodeGroups.SIDECAR, List.of(), List.of(cert("api.twilio.com", "a")));
    Snapshot after =
        snapshots.snapshot(NodeGroups.SIDECAR, List.of(), List.of(cert("api.twilio.com", "b")));
    assertThat(after.listeners().version()).isEqualTo(before.listeners().version());
    assertThat(after.secrets().version()).isNotEqualTo(before.secrets().version());
  }

  @Test
  void theGatewayKeepsItsPlainListener() {
    Listener l =
        listener(
            snapshots.snapshot(
                NodeGroups.EGRESS_GATEWAY, List.of(), List.of(cert("api.twilio.com", "a"))));
    assertThat(l.getFilterChainsList()).hasSize(1);
    assertThat(l.getListenerFiltersList()).isEmpty();
  }

  private static Secret otherSecret() {
    return Secret.newBuilder().setName("something-else").build();
  }
}
