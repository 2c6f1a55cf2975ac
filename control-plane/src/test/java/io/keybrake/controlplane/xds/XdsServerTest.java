package io.keybrake.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.keybrake.core.testing.MutableClock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Raw ADS over in-process gRPC: what the server does with ACKs and NACKs. */
class XdsServerTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;

  private final String name = InProcessServerBuilder.generateName();
  private final XdsServer server =
      new XdsServer(InProcessServerBuilder.forName(name).directExecutor(), new MutableClock(T0));
  private final ManagedChannel channel =
      InProcessChannelBuilder.forName(name).directExecutor().build();
  private final KeybrakeSnapshots snapshots = new KeybrakeSnapshots(XdsSettings.defaults());
  private final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
  private final Node node = Node.newBuilder().setId("gw-1").setCluster("egress-gateway").build();

  @AfterEach
  void tearDown() {
    channel.shutdownNow();
    server.close();
  }

  private StreamObserver<DiscoveryRequest> open() throws Exception {
    server.start();
    return AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(
            new StreamObserver<>() {
              @Override
              public void onNext(DiscoveryResponse r) {
                responses.add(r);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
  }

  private DiscoveryResponse next() throws InterruptedException {
    DiscoveryResponse r = responses.poll(5, TimeUnit.SECONDS);
    assertThat(r).as("a response within 5 s").isNotNull();
    return r;
  }

  private void publish(String... keyIds) {
    List<io.keybrake.core.key.KeyRecord> keys =
        java.util.Arrays.stream(keyIds)
            .map(id -> InMemoryKeyStore.key(id, "twilio", T0, Optional.empty()))
            .toList();
    server
        .cache()
        .setSnapshot(
            NodeGroups.EGRESS_GATEWAY, snapshots.snapshot(NodeGroups.EGRESS_GATEWAY, keys));
  }

  @Test
  void aNackIsCountedAndTheRefusedVersionIsNotSentAgain() throws Exception {
    publish();
    StreamObserver<DiscoveryRequest> stream = open();
    stream.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
    DiscoveryResponse first = next();
    stream.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(CDS)
            .setVersionInfo(first.getVersionInfo())
            .setResponseNonce(first.getNonce())
            .build());
    assertThat(server.acks()).isEqualTo(1);

    // a new cluster version, refused by the node
    server
        .cache()
        .setSnapshot(
            NodeGroups.EGRESS_GATEWAY,
            new KeybrakeSnapshots(XdsSettings.defaults().withExtProc("ext-proc.keybrake", 50051))
                .snapshot(NodeGroups.EGRESS_GATEWAY, List.of()));
    DiscoveryResponse refused = next();
    stream.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(CDS)
            .setVersionInfo(first.getVersionInfo())
            .setResponseNonce(refused.getNonce())
            .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad cluster"))
            .build());

    assertThat(server.nacks()).isEqualTo(1);
    XdsNack nack = server.lastNack().orElseThrow();
    assertThat(nack.nodeId()).isEqualTo("gw-1");
    assertThat(nack.group()).isEqualTo(NodeGroups.EGRESS_GATEWAY);
    assertThat(nack.rejectedVersion()).isEqualTo(refused.getVersionInfo());
    assertThat(nack.message()).isEqualTo("bad cluster");
    // in-process with direct executors, a resend would already be queued: the library alone
    // answers a NACK at once with the refused version again
    assertThat(responses.poll()).isNull();

    // the next different snapshot is delivered
    publish();
    DiscoveryResponse fixed = next();
    assertThat(fixed.getVersionInfo())
        .isEqualTo(first.getVersionInfo())
        .isNotEqualTo(refused.getVersionInfo());
    stream.onCompleted();
  }
}
