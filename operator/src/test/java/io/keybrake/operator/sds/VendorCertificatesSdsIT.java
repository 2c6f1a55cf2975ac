package io.keybrake.operator.sds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keybrake.controlplane.xds.KeySnapshotPublisher;
import io.keybrake.controlplane.xds.KeybrakeSnapshots;
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
import java.util.Optional;
import java.util.Set;
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
      envoy.subscribeSecrets(Set.of(TWILIO));
      assertThat(
              envoy.awaitExchange(
                  e -> e.typeUrl().equals(EnvoyXdsClient.SDS) && e.accepted(), WAIT))
          .isTrue();
      List<X509Certificate> first = chain(envoy.secrets().get(TWILIO));
      X509Certificate leaf = first.get(0);
      List<String> names =
          leaf.getSubjectAlternativeNames().stream()
              .map(san -> String.valueOf(san.get(1)))
              .toList();
      assertThat(names).containsExactly("api.twilio.com");
      assertChainsToCa(first, clock.instant());
      assertThat(envoy.secrets()).containsOnlyKeys(TWILIO); // only what it asked for

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
