package io.keybrake.controlplane.xds;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.RouteShards;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the per-key {@link RouteConfiguration}: one route per active key, matching the {@value
 * #KEY_ID_HEADER} header the ext_proc server sets, then a 401 {@code invalid_key} for everything
 * else. A revoked key therefore has no route in Envoy, whatever an ext_proc cache still holds.
 * Stateless and thread-safe.
 */
public final class KeyRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(KeyRoutes.class);

  public static final String ROUTE_CONFIG_NAME = "keybrake_egress_routes";
  public static final String KEY_ID_HEADER = "x-keybrake-key-id";

  /** Set by ext_proc next to the key id; the static config (no control plane) routes on it. */
  public static final String VENDOR_HEADER = "x-keybrake-vendor";

  public static final String METADATA_NAMESPACE = "keybrake";
  public static final String METADATA_KEY_ID = "key_id";
  public static final String FALLBACK_ROUTE = "invalid_key";
  public static final String INVALID_KEY_BODY =
      "{\"code\":\"invalid_key\",\"message\":\"unknown, revoked or expired vault key\","
          + "\"status\":401}";

  private static final Route FALLBACK = fallback();

  /** Vendor APIs can be slow (Stripe advises 80 s client timeouts); Envoy's default is 15 s. */
  static final long UPSTREAM_TIMEOUT_SECONDS = 80;

  /** The route action of each vendor, shared by the routes of all its keys (less memory). */
  private final java.util.Map<String, RouteAction> actions = new java.util.HashMap<>();

  public KeyRoutes(XdsSettings settings) {
    settings.vendors().forEach((vendor, upstream) -> actions.put(vendor, action(vendor, upstream)));
  }

  /**
   * The route of one key, or null (logged) when its vendor has no upstream cluster. Built once per
   * key by the caller and reused in every table that lists the key.
   */
  public Route route(String keyId, String vendor) {
    RouteAction action = actions.get(vendor);
    if (action == null) {
      LOG.warn("key {} names vendor {} with no cluster; no route", keyId, vendor);
      return null;
    }
    return keyRoute(keyId, action);
  }

  /**
   * The route table {@code name} listing {@code keyRoutes} (already in id order) and then the
   * {@code invalid_key} fallback.
   */
  public RouteConfiguration table(String name, Iterable<Route> keyRoutes) {
    VirtualHost.Builder vhost = virtualHost().addAllRoutes(keyRoutes).addRoutes(FALLBACK);
    return RouteConfiguration.newBuilder().setName(name).addVirtualHosts(vhost).build();
  }

  /**
   * The version of table {@code name} holding {@code count} routes whose {@link #digest digests}
   * sum to {@code sum}: a digest of the empty table's encoding (everything but the key routes), the
   * count and the sum. Equal tables have equal versions on every replica and after every restart,
   * and a change of one route changes the version, without encoding the whole table.
   */
  public static String tableVersion(String name, long count, long[] sum) {
    MessageDigest sha = sha256();
    sha.update(
        RouteConfiguration.newBuilder()
            .setName(name)
            .addVirtualHosts(virtualHost().addRoutes(FALLBACK))
            .build()
            .toByteArray());
    ByteBuffer tail = ByteBuffer.allocate(8 * (1 + sum.length)).putLong(count);
    for (long s : sum) {
      tail.putLong(s);
    }
    sha.update(tail.array());
    return "r-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
  }

  /**
   * The 128-bit content digest of one route (SHA-256 of its deterministic encoding, first 16
   * bytes), as two longs to be summed into a table's {@link #tableVersion}.
   */
  public static long[] digest(Route route) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(256);
      com.google.protobuf.CodedOutputStream out =
          com.google.protobuf.CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      route.writeTo(out);
      out.flush();
      ByteBuffer d = ByteBuffer.wrap(sha256().digest(bytes.toByteArray()));
      return new long[] {d.getLong(), d.getLong()};
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  private static VirtualHost.Builder virtualHost() {
    return VirtualHost.newBuilder()
        .setName("keybrake_egress")
        .addDomains("*")
        .addRequestHeadersToRemove(KEY_ID_HEADER)
        .addRequestHeadersToRemove(VENDOR_HEADER)
        .addRequestHeadersToRemove(RouteShards.HEADER);
  }

  /** The route configuration for these keys, which the caller has already found active. */
  public RouteConfiguration routes(Collection<KeyRecord> activeKeys) {
    SortedMap<String, String> vendorById = new TreeMap<>();
    activeKeys.forEach(k -> vendorById.put(k.id(), k.vendor()));
    return table(ROUTE_CONFIG_NAME, vendorById);
  }

  /** The name of a gateway's route table for shard {@code shard} ({@link RouteShards#of}). */
  public static String shardTableName(String shard) {
    return ROUTE_CONFIG_NAME + "_" + shard;
  }

  /**
   * The route table {@code name}: a route per key of {@code vendorById} (key id to vendor), in id
   * order, then the {@code invalid_key} fallback.
   */
  public RouteConfiguration table(String name, SortedMap<String, String> vendorById) {
    java.util.List<Route> keyRoutes = new java.util.ArrayList<>(vendorById.size());
    vendorById.forEach(
        (id, vendor) -> {
          Route r = route(id, vendor);
          if (r != null) {
            keyRoutes.add(r);
          }
        });
    return table(name, keyRoutes);
  }

  private static RouteAction action(String vendor, XdsSettings.VendorUpstream upstream) {
    return RouteAction.newBuilder()
        .setCluster(UpstreamClusters.vendorCluster(vendor))
        .setHostRewriteLiteral(upstream.host())
        .setTimeout(Duration.newBuilder().setSeconds(UPSTREAM_TIMEOUT_SECONDS))
        .build();
  }

  static Route keyRoute(String keyId, RouteAction action) {
    return Route.newBuilder()
        .setName("key_" + keyId)
        .setMatch(
            RouteMatch.newBuilder()
                .setPrefix("/")
                .addHeaders(
                    HeaderMatcher.newBuilder()
                        .setName(KEY_ID_HEADER)
                        .setStringMatch(StringMatcher.newBuilder().setExact(keyId))))
        .setRoute(action)
        .setMetadata(
            Metadata.newBuilder()
                .putFilterMetadata(
                    METADATA_NAMESPACE,
                    Struct.newBuilder()
                        .putFields(
                            METADATA_KEY_ID, Value.newBuilder().setStringValue(keyId).build())
                        .build()))
        .build();
  }

  static Route fallback() {
    return Route.newBuilder()
        .setName(FALLBACK_ROUTE)
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setDirectResponse(
            DirectResponseAction.newBuilder()
                .setStatus(401)
                .setBody(DataSource.newBuilder().setInlineString(INVALID_KEY_BODY)))
        .addResponseHeadersToAdd(
            HeaderValueOption.newBuilder()
                .setHeader(
                    HeaderValue.newBuilder().setKey("content-type").setValue("application/json"))
                .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
        .build();
  }
}
