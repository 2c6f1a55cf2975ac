package io.keybrake.controlplane.xds;

import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.List;

/**
 * Maps an Envoy {@link Node} to its snapshot group: {@value #SIDECAR} or {@value #EGRESS_GATEWAY}.
 * The node metadata field {@value #ROLE_METADATA_KEY} wins over {@code node.cluster}; anything else
 * is a sidecar. Stateless and thread-safe.
 */
public final class NodeGroups implements NodeGroup<String> {

  public static final String SIDECAR = "sidecar";
  public static final String EGRESS_GATEWAY = "egress-gateway";
  public static final List<String> ALL = List.of(SIDECAR, EGRESS_GATEWAY);
  public static final String ROLE_METADATA_KEY = "keybrake_role";

  @Override
  public String hash(Node node) {
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
