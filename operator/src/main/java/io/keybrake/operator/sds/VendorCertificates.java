package io.keybrake.operator.sds;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.keybrake.controlplane.xds.EgressListener;
import io.keybrake.controlplane.xds.SecretSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The TLS certificates Envoy terminates vendor hosts with ({@code api.twilio.com}, …), minted from
 * the {@link ClusterCa} and served as SDS secrets named {@code keybrake-tls/<host>}. A certificate
 * is replaced once a third of its lifetime is left, so Envoy always holds one with time to spare;
 * the publisher re-sends the snapshot when one is replaced. Time comes from the caller ({@code
 * now}). Thread-safe.
 */
public final class VendorCertificates implements SecretSource {
  /** The SDS name prefix; the host follows. */
  public static final String PREFIX = EgressListener.TLS_SECRET_PREFIX;

  private final ClusterCa ca;
  private final List<String> hosts;
  private final Duration lifetime;
  private final Duration renewBefore;
  private final Map<String, IssuedCertificate> current = new TreeMap<>(); // guarded by this

  public VendorCertificates(ClusterCa ca, List<String> hosts, Duration lifetime) {
    this.ca = Objects.requireNonNull(ca);
    this.hosts = List.copyOf(hosts);
    this.lifetime = Objects.requireNonNull(lifetime);
    this.renewBefore = lifetime.dividedBy(3);
  }

  /** The SDS name of {@code host}'s certificate. */
  public static String secretName(String host) {
    return EgressListener.tlsSecretName(host);
  }

  @Override
  public synchronized List<Secret> secrets(Instant now) {
    List<Secret> out = new ArrayList<>();
    for (String host : hosts) {
      IssuedCertificate c = current.get(host);
      if (c == null || !now.isBefore(c.notAfter().minus(renewBefore))) {
        c = ca.issue(host, now, lifetime);
        current.put(host, c);
      }
      out.add(
          Secret.newBuilder()
              .setName(secretName(host))
              .setTlsCertificate(
                  TlsCertificate.newBuilder()
                      .setCertificateChain(DataSource.newBuilder().setInlineString(c.chainPem()))
                      .setPrivateKey(DataSource.newBuilder().setInlineString(c.privateKeyPem())))
              .build());
    }
    return out;
  }
}
