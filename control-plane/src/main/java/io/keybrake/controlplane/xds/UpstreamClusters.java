package io.keybrake.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the upstream {@link Cluster}s: one TLS cluster per vendor and the ext_proc cluster.
 * Stateless and thread-safe.
 */
public final class UpstreamClusters {

  public static final String EXT_PROC_CLUSTER = "keybrake_ext_proc";
  public static final String TLS_SOCKET = "envoy.transport_sockets.tls";
  public static final String HTTP_PROTOCOL_OPTIONS =
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private final XdsSettings settings;

  public UpstreamClusters(XdsSettings settings) {
    this.settings = settings;
  }

  /** The name of a vendor's cluster, e.g. {@code vendor_twilio}. */
  public static String vendorCluster(String vendor) {
    return "vendor_" + vendor;
  }

  /** Every cluster: the vendors (sorted by name) then ext_proc. */
  public List<Cluster> clusters() {
    List<Cluster> out = new ArrayList<>();
    for (Map.Entry<String, XdsSettings.VendorUpstream> e : settings.vendors().entrySet()) {
      out.add(vendor(e.getKey(), e.getValue()));
    }
    out.add(extProc());
    return out;
  }

  /**
   * A vendor cluster: LOGICAL_DNS (one connection pool per resolved name, as for any public API
   * behind a CDN), TLS with SNI and the certificate checked against the system trust store and the
   * vendor's host name.
   */
  public Cluster vendor(String vendor, XdsSettings.VendorUpstream upstream) {
    UpstreamTlsContext tls =
        UpstreamTlsContext.newBuilder()
            .setSni(upstream.host())
            .setCommonTlsContext(
                CommonTlsContext.newBuilder()
                    .setValidationContext(
                        CertificateValidationContext.newBuilder()
                            .setTrustedCa(
                                DataSource.newBuilder().setFilename(settings.trustedCaFile()))
                            .addMatchTypedSubjectAltNames(
                                SubjectAltNameMatcher.newBuilder()
                                    .setSanType(SubjectAltNameMatcher.SanType.DNS)
                                    .setMatcher(
                                        StringMatcher.newBuilder().setExact(upstream.host())))))
            .build();
    return Cluster.newBuilder()
        .setName(vendorCluster(vendor))
        .setType(Cluster.DiscoveryType.LOGICAL_DNS)
        .setConnectTimeout(seconds(5))
        .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
        .setLoadAssignment(endpoint(vendorCluster(vendor), upstream.host(), upstream.port()))
        .setTransportSocket(
            TransportSocket.newBuilder().setName(TLS_SOCKET).setTypedConfig(Any.pack(tls)))
        .build();
  }

  /**
   * The ext_proc cluster: HTTP/2 (gRPC), STRICT_DNS so every address behind a headless Service
   * takes streams, and gRPC health checks so Envoy stops sending streams to a sick processor.
   */
  public Cluster extProc() {
    HttpProtocolOptions h2 =
        HttpProtocolOptions.newBuilder()
            .setExplicitHttpConfig(
                HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
            .build();
    return Cluster.newBuilder()
        .setName(EXT_PROC_CLUSTER)
        .setType(Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(seconds(1))
        .setLoadAssignment(
            endpoint(EXT_PROC_CLUSTER, settings.extProcHost(), settings.extProcPort()))
        .putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(h2))
        .addHealthChecks(
            HealthCheck.newBuilder()
                .setTimeout(seconds(1))
                .setInterval(seconds(5))
                .setUnhealthyThreshold(UInt32Value.of(2))
                .setHealthyThreshold(UInt32Value.of(1))
                .setGrpcHealthCheck(HealthCheck.GrpcHealthCheck.getDefaultInstance()))
        .build();
  }

  private static ClusterLoadAssignment endpoint(String cluster, String host, int port) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(cluster)
        .addEndpoints(
            LocalityLbEndpoints.newBuilder()
                .addLbEndpoints(
                    LbEndpoint.newBuilder()
                        .setEndpoint(
                            Endpoint.newBuilder()
                                .setAddress(
                                    Address.newBuilder()
                                        .setSocketAddress(
                                            SocketAddress.newBuilder()
                                                .setAddress(host)
                                                .setPortValue(port))))))
        .build();
  }

  private static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }
}
