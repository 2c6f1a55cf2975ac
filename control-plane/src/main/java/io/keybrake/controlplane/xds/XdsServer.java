package io.keybrake.controlplane.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The ADS server Envoy connects to ({@code :18000} in production): java-control-plane's {@link
 * V3DiscoveryServer} over a {@link SimpleCache} grouped by {@link NodeGroups}. The gRPC transport
 * comes from the caller's {@link ServerBuilder}, so tests pass an in-process one or port 0.
 *
 * <p>A NACK is logged and counted ({@link #nacks()}, {@link #lastNack()}); the refusing stream then
 * waits for a different snapshot rather than being sent the refused one again, and other nodes are
 * not affected.
 *
 * <p>Thread-safe. Publish snapshots with {@link KeySnapshotPublisher} (or {@link #cache()} in
 * tests).
 */
public final class XdsServer implements AutoCloseable {

  private final SimpleCache<String> cache;
  private final NackReporter reporter;
  private final NodeGroupWatcher groupWatcher;
  private final Server server;

  /**
   * @param builder the transport, e.g. {@code NettyServerBuilder.forPort(18000)}; this adds the ADS
   *     service to it
   */
  public XdsServer(ServerBuilder<?> builder, Clock clock) {
    NodeGroups groups = new NodeGroups();
    this.cache = new SimpleCache<>(groups);
    this.reporter = new NackReporter(groups, clock);
    this.groupWatcher = new NodeGroupWatcher(groups);
    V3DiscoveryServer discovery =
        new V3DiscoveryServer(
            List.of(reporter, groupWatcher), new NackHoldingConfigWatcher(cache, reporter));
    this.server = builder.addService(discovery.getAggregatedDiscoveryServiceImpl()).build();
  }

  /** Starts serving; returns this. */
  public XdsServer start() throws IOException {
    server.start();
    return this;
  }

  /** The bound port ({@code -1} for an in-process transport). */
  public int port() {
    return server.getPort();
  }

  /** The snapshot cache the publisher writes to. */
  public SimpleCache<String> cache() {
    return cache;
  }

  /**
   * Tells {@code newGroup} of each node group the first time one of its Envoys connects (e.g. a
   * sidecar of a newly bound node), so that its snapshot can be published; groups already seen are
   * told at once. {@link KeySnapshotPublisher#nodeGroupSeen} is the usual listener.
   */
  public void onNodeGroup(java.util.function.Consumer<String> newGroup) {
    groupWatcher.listen(newGroup);
  }

  /** How many NACKs Envoys have sent since start. */
  public long nacks() {
    return reporter.nacks();
  }

  /** How many ACKs Envoys have sent since start. */
  public long acks() {
    return reporter.acks();
  }

  /** The most recent NACK, if any. */
  public Optional<XdsNack> lastNack() {
    return reporter.lastNack();
  }

  /** Stops accepting streams, cancels open ones, and waits up to 5 s for them to end. */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
