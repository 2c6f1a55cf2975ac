package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A {@link ConfigWatcher} in front of the snapshot cache that keeps a NACK from turning into a
 * resend loop. After a NACK, Envoy's request carries the last version it <em>accepted</em>; the
 * cache sees that it differs from the snapshot and would answer at once with the same refused
 * resources. Here the watch is opened against the refused version instead, so the stream waits
 * until a different snapshot is published. Thread-safe.
 */
final class NackHoldingConfigWatcher implements ConfigWatcher {

  private final ConfigWatcher cache;
  private final NackReporter reporter;

  NackHoldingConfigWatcher(ConfigWatcher cache, NackReporter reporter) {
    this.cache = cache;
    this.reporter = reporter;
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    XdsRequest effective = request;
    Optional<String> refused = reporter.takeRefusedVersion(request.v3Request());
    if (refused.isPresent()) {
      effective =
          XdsRequest.create(request.v3Request().toBuilder().setVersionInfo(refused.get()).build());
    }
    return cache.createWatch(
        ads,
        effective,
        knownResourceNames,
        responseConsumer,
        hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    return cache.createDeltaWatch(
        request,
        requesterVersion,
        resourceVersions,
        pendingResources,
        isWildcard,
        responseConsumer,
        hasClusterChanged);
  }
}
