package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery-server callbacks that notice NACKs (a request carrying {@code error_detail}), log one
 * line and count them, and remember which version each stream refused so {@link
 * NackHoldingConfigWatcher} can hold the stream until a different version exists, instead of
 * re-sending the refused one in a loop. Thread-safe.
 */
final class NackReporter implements DiscoveryServerCallbacks {

  private static final Logger LOG = LoggerFactory.getLogger(NackReporter.class);

  private final NodeGroups groups;
  private final Clock clock;
  private final AtomicLong nacks = new AtomicLong();
  private final AtomicLong acks = new AtomicLong();
  private final AtomicReference<XdsNack> lastNack = new AtomicReference<>();
  private final Map<Long, Node> nodes = new ConcurrentHashMap<>();

  /** stream id -> type URL -> the last response sent (nonce, version). */
  private final Map<Long, Map<String, Sent>> sent = new ConcurrentHashMap<>();

  /**
   * Hand-off to {@link NackHoldingConfigWatcher}: the server calls the callbacks and then creates
   * the watch for the same request object on the same thread. The identity check makes the hand-off
   * safe even if that ever changes (the watcher then falls back to the library's behaviour).
   */
  private final ThreadLocal<Refused> refused = new ThreadLocal<>();

  private record Sent(String nonce, String version) {}

  record Refused(DiscoveryRequest request, String version) {}

  NackReporter(NodeGroups groups, Clock clock) {
    this.groups = groups;
    this.clock = clock;
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    Node node = request.hasNode() ? request.getNode() : nodes.get(streamId);
    if (request.hasNode()) {
      nodes.putIfAbsent(streamId, request.getNode());
    }
    refused.remove();
    if (!request.hasErrorDetail()) {
      if (!request.getResponseNonce().isEmpty()) {
        acks.incrementAndGet();
      }
      return;
    }
    Sent last = sent.getOrDefault(streamId, Map.of()).get(request.getTypeUrl());
    String version =
        last != null && last.nonce().equals(request.getResponseNonce()) ? last.version() : "";
    String nodeId = node == null ? "" : node.getId();
    String group = node == null ? NodeGroups.SIDECAR : groups.hash(node);
    XdsNack nack =
        new XdsNack(
            nodeId,
            group,
            request.getTypeUrl(),
            version,
            request.getErrorDetail().getMessage(),
            clock.instant());
    lastNack.set(nack);
    long n = nacks.incrementAndGet();
    LOG.warn(
        "xDS NACK #{} from node {} (group {}) for {} version {}: {}",
        n,
        nack.nodeId(),
        nack.group(),
        nack.typeUrl(),
        nack.rejectedVersion(),
        nack.message());
    if (!version.isEmpty()) {
      refused.set(new Refused(request, version));
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    // Keybrake's Envoys use state-of-the-world ADS; delta streams are served but not reported.
  }

  @Override
  public void onV3StreamResponse(
      long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    sent.computeIfAbsent(streamId, id -> new ConcurrentHashMap<>())
        .put(response.getTypeUrl(), new Sent(response.getNonce(), response.getVersionInfo()));
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    forget(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    forget(streamId);
  }

  private void forget(long streamId) {
    nodes.remove(streamId);
    sent.remove(streamId);
  }

  /** The version the request refuses, if it is the NACK just reported on this thread. */
  Optional<String> takeRefusedVersion(DiscoveryRequest request) {
    Refused r = refused.get();
    refused.remove();
    return r != null && r.request() == request ? Optional.of(r.version()) : Optional.empty();
  }

  long nacks() {
    return nacks.get();
  }

  long acks() {
    return acks.get();
  }

  Optional<XdsNack> lastNack() {
    return Optional.ofNullable(lastNack.get());
  }
}
