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
import java.util.Collection;
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

  /** Vendor APIs can be slow (Stripe advises 80 s client timeouts); Envoy's default is 15 s. */
  static final long UPSTREAM_TIMEOUT_SECONDS = 80;

  private final XdsSettings settings;

  public KeyRoutes(XdsSettings settings) {
    this.settings = settings;
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
    VirtualHost.Builder vhost =
        VirtualHost.newBuilder()
            .setName("keybrake_egress")
            .addDomains("*")
            .addRequestHeadersToRemove(KEY_ID_HEADER)
            .addRequestHeadersToRemove(VENDOR_HEADER)
            .addRequestHeadersToRemove(RouteShards.HEADER);
    vendorById.forEach(
        (id, vendor) -> {
          XdsSettings.VendorUpstream upstream = settings.vendors().get(vendor);
          if (upstream == null) {
            LOG.warn("key {} names vendor {} with no cluster; no route", id, vendor);
            return;
          }
          vhost.addRoutes(keyRoute(id, vendor, upstream));
        });
    vhost.addRoutes(fallback());
    return RouteConfiguration.newBuilder().setName(name).addVirtualHosts(vhost).build();
  }

  static Route keyRoute(String keyId, String vendor, XdsSettings.VendorUpstream upstream) {
    return Route.newBuilder()
        .setName("key_" + keyId)
        .setMatch(
            RouteMatch.newBuilder()
                .setPrefix("/")
                .addHeaders(
                    HeaderMatcher.newBuilder()
                        .setName(KEY_ID_HEADER)
                        .setStringMatch(StringMatcher.newBuilder().setExact(keyId))))
        .setRoute(
            RouteAction.newBuilder()
                .setCluster(UpstreamClusters.vendorCluster(vendor))
                .setHostRewriteLiteral(upstream.host())
                .setTimeout(Duration.newBuilder().setSeconds(UPSTREAM_TIMEOUT_SECONDS)))
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
