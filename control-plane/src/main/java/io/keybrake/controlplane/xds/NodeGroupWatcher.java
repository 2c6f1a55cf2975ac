package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Tells a listener the first time a node of a new group (e.g. the sidecar of a newly bound node)
 * asks for configuration, so a snapshot can be published for that group. Thread-safe.
 */
final class NodeGroupWatcher implements DiscoveryServerCallbacks {
  private final NodeGroups groups;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private volatile Consumer<String> listener = g -> {};

  NodeGroupWatcher(NodeGroups groups) {
    this.groups = groups;
  }

  /** Sets the listener; it is then told of every group already seen, and of new ones. */
  void listen(Consumer<String> newGroup) {
    listener = newGroup;
    seen.forEach(newGroup);
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    saw(request.getNode());
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    saw(request.getNode());
  }

  private void saw(Node node) {
    if (node.equals(Node.getDefaultInstance())) {
      return; // Envoy sends its node on a stream's first request only, when so configured
    }
    String group = groups.hash(node);
    if (seen.add(group)) {
      listener.accept(group);
    }
  }
}
