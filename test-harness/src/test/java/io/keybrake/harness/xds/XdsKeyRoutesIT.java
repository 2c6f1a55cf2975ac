package io.keybrake.harness.xds;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.keybrake.controlplane.xds.InMemoryKeyStore;
import io.keybrake.controlplane.xds.KeySnapshotPublisher;
import io.keybrake.controlplane.xds.KeybrakeSnapshots;
import io.keybrake.controlplane.xds.NodeGroups;
import io.keybrake.controlplane.xds.XdsServer;
import io.keybrake.controlplane.xds.XdsSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The control plane on an ephemeral port, Envoy-faithful ADS clients connected to it: key routes
 * appear and disappear within a second, every push is ACKed, and a NACK stays with its node.
 */
class XdsKeyRoutesIT {

  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final int ROUNDS = 100;

  private final Clock clock = Clock.systemUTC();
  private final InMemoryKeyStore store = new InMemoryKeyStore();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private XdsServer server;
  private KeySnapshotPublisher publisher;
  private ManagedChannel channel;
  private final List<EnvoyXdsClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server =
        new XdsServer(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()), clock)
            .start();
    publisher =
        new KeySnapshotPublisher(
                store,
                new KeybrakeSnapshots(XdsSettings.defaults()),
                server.cache(),
                clock,
                scheduler,
                KeySnapshotPublisher.DEFAULT_PERIOD)
            .start();
    channel =
        Grpc.newChannelBuilderForAddress(
                "127.0.0.1", server.port(), InsecureChannelCredentials.create())
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    clients.forEach(EnvoyXdsClient::close);
    publisher.close();
    scheduler.shutdownNow();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private EnvoyXdsClient envoy(String nodeId, String cluster) throws InterruptedException {
    EnvoyXdsClient c = EnvoyXdsClient.connect(channel, nodeId, cluster);
    clients.add(c);
    assertThat(
            c.await(
                s -> s.listeners().containsKey("keybrake_egress") && !s.routes().isEmpty(),
                // a liveness wait, not a latency claim: the first stream of a cold JVM on a
                // loaded machine can take seconds
                Duration.ofSeconds(30)))
        .as("%s got its listener and routes", nodeId)
        .isTrue();
    return c;
  }

  private static long percentile(List<Long> nanos, double p) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    return sorted.get((int) Math.ceil(p * sorted.size()) - 1);
  }

  private static String millis(long nanos) {
    return String.format("%.2f ms", nanos / 1e6);
  }

  @Test
  void aKeysRouteArrivesWithin1sOfCreationAndLeavesWithin1sOfRevocation() throws Exception {
    EnvoyXdsClient envoy = envoy("agent-pod-1", "sidecar");
    List<Long> added = new ArrayList<>();
    List<Long> revoked = new ArrayList<>();
    List<Long> revokedByTick = new ArrayList<>();

    for (int i = 0; i < ROUNDS; i++) {
      String id = "key_" + i;
      store.create(
          InMemoryKeyStore.key(
              id,
              List.of("twilio", "stripe", "resend").get(i % 3),
              clock.instant(),
              Optional.empty()));
      long t0 = System.nanoTime();
      publisher.refresh();
      assertThat(envoy.await(s -> s.hasRouteForKey(id), SECOND)).as("route for %s", id).isTrue();
      added.add(System.nanoTime() - t0);

      store.revoke(id, clock.instant());
      t0 = System.nanoTime();
      publisher.refresh();
      assertThat(envoy.await(s -> !s.hasRouteForKey(id), SECOND)).as("%s revoked", id).isTrue();
      revoked.add(System.nanoTime() - t0);
    }
    // told, as the admin API tells it: published off this thread
    List<Long> revokedByEvent = new ArrayList<>();
    for (int i = 0; i < ROUNDS; i++) {
      String id = "key_told_" + i;
      var key = InMemoryKeyStore.key(id, "stripe", clock.instant(), Optional.empty());
      store.create(key);
      publisher.keyChanged(key);
      assertThat(envoy.await(s -> s.hasRouteForKey(id), SECOND)).isTrue();
      store.revoke(id, clock.instant());
      long t0 = System.nanoTime();
      publisher.keyRevoked(id);
      assertThat(envoy.await(s -> !s.hasRouteForKey(id), SECOND)).isTrue();
      revokedByEvent.add(System.nanoTime() - t0);
    }
    // and told nothing: the once-a-second read of the change feed alone (fewer rounds: each
    // waits for the next read)
    Duration twoPeriods = KeySnapshotPublisher.DEFAULT_PERIOD.multipliedBy(2);
    for (int i = 0; i < ROUNDS / 10; i++) {
      String id = "key_tick_" + i;
      store.create(InMemoryKeyStore.key(id, "twilio", clock.instant(), Optional.empty()));
      assertThat(envoy.await(s -> s.hasRouteForKey(id), twoPeriods)).isTrue();
      store.revoke(id, clock.instant());
      long t0 = System.nanoTime();
      assertThat(envoy.await(s -> !s.hasRouteForKey(id), twoPeriods)).isTrue();
      revokedByTick.add(System.nanoTime() - t0);
    }

    System.out.printf(
        "xDS key routes over %d rounds: add p50 %s p99 %s max %s | revoke+refresh p50 %s p99 %s max %s"
            + " | revoke told p50 %s p99 %s | revoke by 1 s feed read p50 %s p99 %s max %s%n",
        ROUNDS,
        millis(percentile(added, 0.5)),
        millis(percentile(added, 0.99)),
        millis(percentile(added, 1.0)),
        millis(percentile(revoked, 0.5)),
        millis(percentile(revoked, 0.99)),
        millis(percentile(revoked, 1.0)),
        millis(percentile(revokedByEvent, 0.5)),
        millis(percentile(revokedByEvent, 0.99)),
        millis(percentile(revokedByTick, 0.5)),
        millis(percentile(revokedByTick, 0.99)),
        millis(percentile(revokedByTick, 1.0)));
    assertThat(percentile(revoked, 0.99)).isLessThan(SECOND.toNanos());
    assertThat(percentile(revokedByEvent, 0.99)).isLessThan(SECOND.toNanos());
    assertThat(percentile(revokedByTick, 0.99)).isLessThan(twoPeriods.toNanos());

    List<XdsExchange> history = envoy.history();
    assertThat(history).allMatch(XdsExchange::accepted);
    assertThat(history.stream().filter(e -> e.typeUrl().equals(EnvoyXdsClient.RDS)).count())
        .isGreaterThanOrEqualTo(4L * ROUNDS);
    // a key change re-sends routes only: one CDS and one LDS push in the whole run
    assertThat(history.stream().filter(e -> e.typeUrl().equals(EnvoyXdsClient.CDS)).count())
        .isEqualTo(1);
    assertThat(history.stream().filter(e -> e.typeUrl().equals(EnvoyXdsClient.LDS)).count())
        .isEqualTo(1);
    assertThat(server.nacks()).isZero();
  }

  @Test
  void aGatewayOnDeltaXdsIsSentOneRouteTablePerKeyChange() throws Exception {
    for (int i = 0; i < 300; i++) {
      store.create(
          InMemoryKeyStore.key("key_many_" + i, "twilio", clock.instant(), Optional.empty()));
    }
    publisher.refresh();
    try (DeltaXdsClient gateway =
        DeltaXdsClient.connect(
            channel,
            io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
                .setId("egress-gw-delta")
                .setCluster(NodeGroups.EGRESS_GATEWAY)
                .build())) {
      assertThat(gateway.await(ids -> ids.size() == 300, Duration.ofSeconds(10))).isTrue();
      assertThat(gateway.routeTables()).isEqualTo(io.keybrake.core.key.RouteShards.COUNT);
      int before = gateway.pushes().size();

      store.revoke("key_many_7", clock.instant());
      publisher.keyRevoked("key_many_7");
      assertThat(gateway.await(ids -> !ids.contains("key_many_7"), SECOND)).isTrue();

      List<DeltaXdsClient.Push> after = gateway.pushes().subList(before, gateway.pushes().size());
      assertThat(after)
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.typeUrl()).isEqualTo(EnvoyXdsClient.RDS);
                assertThat(p.resources()).as("one route table, not 256").isEqualTo(1);
                assertThat(p.removed()).isZero();
              });
      assertThat(gateway.routedKeyIds()).hasSize(299);
    }
  }

  @Test
  void aSidecarOfABoundNodeGetsOnlyItsKeys() throws Exception {
    store.create(
        withNode(
            InMemoryKeyStore.key("key_pod1", "twilio", clock.instant(), Optional.empty()),
            "pod-1"));
    store.create(
        withNode(
            InMemoryKeyStore.key("key_pod2", "twilio", clock.instant(), Optional.empty()),
            "pod-2"));
    publisher.refresh();
    EnvoyXdsClient pod1 =
        EnvoyXdsClient.connect(
            channel,
            io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
                .setId("agent-pod-1")
                .setCluster(NodeGroups.SIDECAR)
                .setMetadata(
                    com.google.protobuf.Struct.newBuilder()
                        .putFields(
                            NodeGroups.NODE_METADATA_KEY,
                            com.google.protobuf.Value.newBuilder().setStringValue("pod-1").build()))
                .build());
    clients.add(pod1);
    server.onNodeGroup(publisher::nodeGroupSeen);
    assertThat(pod1.await(s -> s.hasRouteForKey("key_pod1"), Duration.ofSeconds(5))).isTrue();
    assertThat(pod1.state().routedKeyIds()).containsExactly("key_pod1");
  }

  private static io.keybrake.core.key.KeyRecord withNode(
      io.keybrake.core.key.KeyRecord k, String node) {
    return new io.keybrake.core.key.KeyRecord(
        k.id(),
        k.name(),
        k.vendor(),
        java.util.Map.of(io.keybrake.core.key.KeyBinding.LABEL, node),
        k.policy(),
        k.secretHash(),
        k.credential(),
        k.createdAt(),
        k.expiresAt(),
        k.revokedAt());
  }

  @Test
  void anInvalidResourceIsNackedReportedAndOtherNodesKeepUpdating() throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger nackLog = (Logger) LoggerFactory.getLogger("io.keybrake.controlplane.xds.NackReporter");
    nackLog.addAppender(log);
    try {
      EnvoyXdsClient sidecar = envoy("agent-pod-1", NodeGroups.SIDECAR);
      EnvoyXdsClient gateway = envoy("egress-gw-1", NodeGroups.EGRESS_GATEWAY);
      Listener good = gateway.state().listeners().get("keybrake_egress");

      // a listener whose filter config is a type no Envoy has, pushed to the gateway group only
      KeybrakeSnapshots builder = new KeybrakeSnapshots(XdsSettings.defaults());
      Snapshot valid = builder.snapshot(NodeGroups.EGRESS_GATEWAY, List.of());
      server.cache().setSnapshot(NodeGroups.EGRESS_GATEWAY, withBrokenListener(valid, good));

      assertThat(gateway.awaitExchange(e -> !e.accepted(), Duration.ofSeconds(5)))
          .as(
              "gateway NACKs: history %s, stream error %s",
              gateway.history(), gateway.streamError())
          .isTrue();
      XdsExchange nack =
          gateway.history().stream().filter(e -> !e.accepted()).findFirst().orElseThrow();
      assertThat(nack.typeUrl()).isEqualTo(EnvoyXdsClient.LDS);
      assertThat(nack.error())
          .contains("unknown type type.googleapis.com/google.protobuf.StringValue");
      assertThat(gateway.state().listeners().get("keybrake_egress")).isEqualTo(good);
      // the server handles the NACK on its own thread, after the client sent it
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(server.nacks()).isEqualTo(1));
      assertThat(server.lastNack().orElseThrow().nodeId()).isEqualTo("egress-gw-1");
      assertThat(server.lastNack().orElseThrow().rejectedVersion()).isEqualTo("l-broken");
      assertThat(log.list)
          .anySatisfy(
              e -> {
                assertThat(e.getLevel()).isEqualTo(Level.WARN);
                assertThat(e.getFormattedMessage())
                    .contains("xDS NACK #1 from node egress-gw-1 (group egress-gateway)")
                    .contains("unknown type");
              });

      // the sidecar keeps getting valid updates, and so does the gateway once a valid one exists
      store.create(
          InMemoryKeyStore.key("key_after_nack", "stripe", clock.instant(), Optional.empty()));
      publisher.refresh();
      assertThat(sidecar.await(s -> s.hasRouteForKey("key_after_nack"), SECOND)).isTrue();
      assertThat(gateway.await(s -> s.hasRouteForKey("key_after_nack"), SECOND)).isTrue();
      assertThat(sidecar.history()).allMatch(XdsExchange::accepted);
      assertThat(server.nacks()).as("one NACK, no resend loop").isEqualTo(1);
      assertThat(gateway.history().stream().filter(e -> !e.accepted()).count()).isEqualTo(1);
    } finally {
      nackLog.detachAppender(log);
    }
  }

  private static Snapshot withBrokenListener(Snapshot valid, Listener good) throws Exception {
    HttpConnectionManager hcm =
        good.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    HttpConnectionManager broken =
        hcm.toBuilder()
            .setHttpFilters(
                0,
                hcm.getHttpFilters(0).toBuilder()
                    .setTypedConfig(Any.pack(StringValue.of("not a filter"))))
            .build();
    Listener bad =
        good.toBuilder()
            .setFilterChains(
                0,
                good.getFilterChains(0).toBuilder()
                    .setFilters(
                        0,
                        good.getFilterChains(0).getFilters(0).toBuilder()
                            .setTypedConfig(Any.pack(broken))))
            .build();
    return Snapshot.create(
        valid.clusters().resources().values(),
        valid.clusters().version(),
        List.of(),
        "e-none",
        List.of(bad),
        "l-broken",
        valid.routes().resources().values(),
        valid.routes().version(),
        List.of(),
        "s-none");
  }
}
