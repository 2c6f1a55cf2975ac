package io.keybrake.controlplane.xds;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.time.Instant;
import java.util.List;

/**
 * {@code SecretSource} gives the SDS secrets (e.g. the TLS certificates Envoy terminates vendor
 * hosts with) that every snapshot carries. Implementations are thread-safe and may rotate what they
 * return as {@code now} advances; {@link KeySnapshotPublisher} re-publishes when it changes.
 */
public interface SecretSource {
  /** No secrets: snapshots carry an empty SDS set. */
  SecretSource NONE = now -> List.of();

  /** The secrets to serve at {@code now}, in a stable order. */
  List<Secret> secrets(Instant now);
}
