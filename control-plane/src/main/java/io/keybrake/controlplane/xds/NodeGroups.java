package io.keybrake.controlplane.xds;

import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.List;

/**
 * Maps an Envoy {@link Node} to its snapshot group: {@value #SIDECAR} or {@value #EGRESS_GATEWAY}.
 * The node metadata field {@value #ROLE_METADATA_KEY} wins over {@code node.cluster}; anything else
 * is a sidecar. A sidecar whose metadata names its node in {@value #NODE_METADATA_KEY} (its pod or
 * agent) is in the group {@code sidecar/<node>} and gets the routes of the keys bound to that node
 * ({@link io.keybrake.core.key.KeyBinding}) besides those of unbound keys. Stateless and
 * thread-safe.
 */
public final class NodeGroups implements NodeGroup<String> {

  public static final String SIDECAR = "sidecar";
  public static final String EGRESS_GATEWAY = "egress-gateway";
  public static final List<String> ALL = List.of(SIDECAR, EGRESS_GATEWAY);
  public static final String ROLE_METADATA_KEY = "keybrake_role";
  public static final String NODE_METADATA_KEY = "keybrake_node";
  private static final String BOUND_PREFIX = SIDECAR + "/";

  /** The group of sidecars on {@code node}. */
  public static String boundSidecar(String node) {
    return BOUND_PREFIX + node;
  }

  /** The node a group's sidecars run on, if it is a bound sidecar group. */
  public static java.util.Optional<String> boundNode(String group) {
    return group.startsWith(BOUND_PREFIX)
        ? java.util.Optional.of(group.substring(BOUND_PREFIX.length()))
        : java.util.Optional.empty();
  }

  /** Whether {@code group} is a gateway's (one route table per shard) rather than a sidecar's. */
  public static boolean isGateway(String group) {
    return EGRESS_GATEWAY.equals(group);
  }

  @Override
  public String hash(Node node) {
    String role = role(node);
    if (role.equals(SIDECAR)) {
      Value bound =
          node.getMetadata().getFieldsOrDefault(NODE_METADATA_KEY, Value.getDefaultInstance());
      if (bound.hasStringValue() && !bound.getStringValue().isBlank()) {
        return boundSidecar(bound.getStringValue());
      }
    }
    return role;
  }

  private static String role(Node node) {
    Value role =
        node.getMetadata().getFieldsOrDefault(ROLE_METADATA_KEY, Value.getDefaultInstance());
    if (role.hasStringValue() && ALL.contains(role.getStringValue())) {
      return role.getStringValue();
    }
    if (ALL.contains(node.getCluster())) {
      return node.getCluster();
    }
    return SIDECAR;
  }
}
