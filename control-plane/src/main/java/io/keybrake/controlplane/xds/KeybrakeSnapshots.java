package io.keybrake.controlplane.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.keybrake.core.key.KeyBinding;
import io.keybrake.core.key.KeyRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Assembles the xDS {@link Snapshot} for a node group from the active keys. Each resource type is
 * versioned by a digest of its content, so a key change re-sends only RDS, and two control-plane
 * replicas given the same keys publish the same versions. Stateless and thread-safe.
 */
public final class KeybrakeSnapshots {

  private final EgressListener listeners;
  private final UpstreamClusters clusters;
  private final KeyRoutes routes;
  private final SecretSource secrets;

  /** CDS and each group's LDS, with their versions: they follow the settings, not the keys. */
  private final java.util.concurrent.ConcurrentMap<String, Versioned<? extends Message>> fixed =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final int MAX_FIXED = 4_096;

  /** Resources that do not change with keys, built and versioned once. */
  private record Versioned<T extends Message>(List<T> resources, String version) {}

  public KeybrakeSnapshots(XdsSettings settings) {
    this(settings, SecretSource.NONE);
  }

  /**
   * @param secrets the SDS secrets every snapshot carries (vendor-host certificates)
   */
  public KeybrakeSnapshots(XdsSettings settings, SecretSource secrets) {
    this.listeners = new EgressListener(settings);
    this.clusters = new UpstreamClusters(settings);
    this.routes = new KeyRoutes(settings);
    this.secrets = java.util.Objects.requireNonNull(secrets);
  }

  /** The SDS secrets for {@code now}. */
  public List<Secret> secrets(Instant now) {
    return secrets.secrets(now);
  }

  /** The SDS resources' version: a digest of their content, {@code "s-none"} when empty. */
  public static String secretsVersion(List<Secret> sds) {
    return sds.isEmpty() ? "s-none" : version("s", sds);
  }

  /** The keys that get a route at {@code now}: neither revoked nor expired, sorted by id. */
  public static List<KeyRecord> activeAt(Collection<KeyRecord> keys, Instant now) {
    return keys.stream()
        .filter(k -> !k.isRevoked() && !k.isExpiredAt(now))
        .sorted(Comparator.comparing(KeyRecord::id))
        .toList();
  }

  /**
   * The snapshot for {@code group} with a route for each of {@code activeKeys} that the group
   * serves: all of them for the gateway (split into shard tables), the unbound ones and those bound
   * to its node for a sidecar.
   */
  public Snapshot snapshot(String group, Collection<KeyRecord> activeKeys) {
    return snapshot(group, activeKeys, List.of());
  }

  /** As {@link #snapshot(String, Collection)}, carrying {@code sds} as the SDS secrets. */
  public Snapshot snapshot(String group, Collection<KeyRecord> activeKeys, List<Secret> sds) {
    RouteTables tables = new RouteTables(routes);
    activeKeys.forEach(k -> tables.put(k.id(), k.vendor(), KeyBinding.of(k.labels())));
    return fromTables(
        group,
        NodeGroups.isGateway(group) ? tables.gatewayTables() : List.of(tables.sidecarTable(group)),
        sds);
  }

  /** The snapshot for {@code group} serving these route tables and SDS secrets. */
  @SuppressWarnings("unchecked") // each entry's type follows from its key
  Snapshot fromTables(String group, List<RouteTable> tables, List<Secret> sds) {
    if (fixed.size() > MAX_FIXED) { // one listener per bound sidecar group: forget departed pods
      fixed.clear();
    }
    Versioned<Cluster> cds =
        (Versioned<Cluster>) fixed.computeIfAbsent("cds", k -> versioned("c", clusters.clusters()));
    // a sidecar terminates TLS for exactly the hosts whose certificates it is served
    var tlsHosts = EgressListener.tlsHosts(sds);
    Versioned<Listener> lds =
        (Versioned<Listener>)
            fixed.computeIfAbsent(
                "lds/" + group + "/" + tlsHosts,
                k -> versioned("l", List.of(listeners.listener(group, tlsHosts))));
    StringBuilder versions = new StringBuilder();
    for (RouteTable t : tables) {
      versions.append(t.name()).append('=').append(t.version()).append(';');
    }
    return new ContentVersionedSnapshot(
        cds.resources(),
        cds.version(),
        lds.resources(),
        lds.version(),
        tables,
        "r-" + digest(versions.toString()),
        sds,
        secretsVersion(sds));
  }

  private static <T extends Message> Versioned<T> versioned(String prefix, List<T> resources) {
    return new Versioned<>(List.copyOf(resources), version(prefix, resources));
  }

  public EgressListener listeners() {
    return listeners;
  }

  public UpstreamClusters clusters() {
    return clusters;
  }

  public KeyRoutes routes() {
    return routes;
  }

  private static String digest(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /** {@code prefix-} and the first 16 hex digits of SHA-256 over the deterministic encodings. */
  static String version(String prefix, List<? extends Message> resources) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Message m : resources) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        m.writeTo(out);
        out.flush();
        sha.update(bytes.toByteArray());
      }
      return prefix + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
