package io.keybrake.controlplane.xds;

import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of the xDS snapshots. Immutable and thread-safe.
 *
 * @param extProcHost host name or IP of the ext_proc server (a Kubernetes Service name in a fleet)
 * @param extProcPort gRPC port of the ext_proc server
 * @param listenerPort port Envoy's egress listener binds (sidecar: loopback; gateway: all
 *     interfaces)
 * @param messageTimeout ext_proc {@code message_timeout}: how long Envoy waits for each answer
 * @param maxMessageTimeout ext_proc {@code max_message_timeout}: the ceiling for {@code
 *     override_message_timeout} while the server waits on an in-flight duplicate
 * @param trustedCaFile PEM bundle of the system trust store, as seen by Envoy
 * @param vendors upstream per vendor name, sorted by name
 */
public record XdsSettings(
    String extProcHost,
    int extProcPort,
    int listenerPort,
    Duration messageTimeout,
    Duration maxMessageTimeout,
    String trustedCaFile,
    Map<String, VendorUpstream> vendors) {

  /** Port of the control plane's ADS server in production. */
  public static final int DEFAULT_XDS_PORT = 18000;

  /** Debian, Ubuntu, Alpine and the envoyproxy/envoy images keep the system bundle here. */
  public static final String SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

  /** A vendor's TLS endpoint. */
  public record VendorUpstream(String host, int port) {
    public VendorUpstream {
      Objects.requireNonNull(host);
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
    }
  }

  public XdsSettings {
    Objects.requireNonNull(extProcHost);
    Objects.requireNonNull(messageTimeout);
    Objects.requireNonNull(maxMessageTimeout);
    Objects.requireNonNull(trustedCaFile);
    if (maxMessageTimeout.compareTo(messageTimeout) < 0) {
      throw new IllegalArgumentException("max_message_timeout must be >= message_timeout");
    }
    // sorted and kept sorted: Map.copyOf iterates in an order that changes from one JVM to the
    // next, which made the CDS version differ between replicas and restarts
    vendors = Collections.unmodifiableSortedMap(new TreeMap<>(vendors));
  }

  /**
   * Default ext_proc {@code message_timeout}: longer than the processor can take to answer when its
   * ledger is slow or down (a Redis command deadline of 2 s, extended to at most 8 s while Redis
   * keeps answering other commands; a settle retried for up to 6 s through a failover), so that
   * Envoy hands the agent the processor's own answer (forwarded, or 503 {@code ledger_unavailable})
   * instead of a 504 of its own.
   */
  public static final Duration DEFAULT_MESSAGE_TIMEOUT = Duration.ofSeconds(10);

  /** Default {@code max_message_timeout}: the ceiling for a duplicate's wait on its original. */
  public static final Duration DEFAULT_MAX_MESSAGE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The defaults the shipped Envoy configs use: ext_proc on 127.0.0.1:50051, listener on 10000,
   * {@link #DEFAULT_MESSAGE_TIMEOUT} and {@link #DEFAULT_MAX_MESSAGE_TIMEOUT}, and every vendor of
   * the configured registry ({@link VendorRegistry#configured()}) at its spec's upstream (port 443
   * unless the URL names one).
   */
  public static XdsSettings defaults() {
    return new XdsSettings(
        "127.0.0.1",
        50051,
        10000,
        DEFAULT_MESSAGE_TIMEOUT,
        DEFAULT_MAX_MESSAGE_TIMEOUT,
        SYSTEM_CA_BUNDLE,
        upstreams(VendorRegistry.configured()));
  }

  /** A cluster per vendor of {@code vendors}, at its spec's upstream. */
  public static Map<String, VendorUpstream> upstreams(VendorRegistry vendors) {
    Map<String, VendorUpstream> out = new TreeMap<>();
    for (VendorSpec spec : vendors.all()) {
      int port = spec.upstream().getPort();
      out.put(spec.id(), new VendorUpstream(spec.upstream().getHost(), port < 0 ? 443 : port));
    }
    return out;
  }

  /** A copy pointing at another ext_proc server. */
  public XdsSettings withExtProc(String host, int port) {
    return new XdsSettings(
        host, port, listenerPort, messageTimeout, maxMessageTimeout, trustedCaFile, vendors);
  }
}
