package io.keybrake.harness.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's side of the ADS conversation, against a scripted in-process server. */
class EnvoyXdsClientTest {

  private final String name = InProcessServerBuilder.generateName();
  private final BlockingQueue<DiscoveryRequest> requests = new LinkedBlockingQueue<>();
  private volatile StreamObserver<DiscoveryResponse> toClient;
  private Server server;
  private ManagedChannel channel;
  private EnvoyXdsClient client;

  @BeforeEach
  void start() throws Exception {
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
                  @Override
                  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
                      StreamObserver<DiscoveryResponse> responses) {
                    toClient = responses;
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(DiscoveryRequest r) {
                        requests.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        responses.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    client = EnvoyXdsClient.connect(channel, "agent-1", "sidecar");
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private DiscoveryRequest nextRequest() throws InterruptedException {
    DiscoveryRequest r = requests.poll(5, TimeUnit.SECONDS);
    assertThat(r).as("a request within 5 s").isNotNull();
    return r;
  }

  private void respond(String type, String version, String nonce, Message... resources) {
    DiscoveryResponse.Builder b =
        DiscoveryResponse.newBuilder().setTypeUrl(type).setVersionInfo(version).setNonce(nonce);
    for (Message m : resources) {
      b.addResources(Any.pack(m));
    }
    toClient.onNext(b.build());
  }

  private static Listener listener(List<HttpFilter> filters) {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("s")
            .setRds(
                Rds.newBuilder()
                    .setRouteConfigName("routes_a")
                    .setConfigSource(
                        ConfigSource.newBuilder()
                            .setAds(AggregatedConfigSource.getDefaultInstance())))
            .addAllHttpFilters(filters)
            .build();
    return Listener.newBuilder()
        .setName("l")
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(
                    SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(10000)))
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(Any.pack(hcm))))
        .build();
  }

  private static final HttpFilter ROUTER =
      HttpFilter.newBuilder()
          .setName("envoy.filters.http.router")
          .setTypedConfig(Any.pack(Router.getDefaultInstance()))
          .build();

  @Test
  void subscribesLikeEnvoyAndAcksWithVersionAndNonce() throws Exception {
    DiscoveryRequest cds = nextRequest();
    assertThat(cds.getTypeUrl()).isEqualTo(EnvoyXdsClient.CDS);
    assertThat(cds.getNode().getId()).isEqualTo("agent-1");
    assertThat(cds.getNode().getCluster()).isEqualTo("sidecar");
    assertThat(cds.getVersionInfo()).isEmpty();
    assertThat(cds.getResourceNamesList()).isEmpty();

    respond(EnvoyXdsClient.CDS, "c1", "n1", Cluster.newBuilder().setName("vendor_twilio").build());
    DiscoveryRequest cdsAck = nextRequest();
    assertThat(cdsAck.getTypeUrl()).isEqualTo(EnvoyXdsClient.CDS);
    assertThat(cdsAck.getVersionInfo()).isEqualTo("c1");
    assertThat(cdsAck.getResponseNonce()).isEqualTo("n1");
    assertThat(cdsAck.hasErrorDetail()).isFalse();
    assertThat(cdsAck.getNode().getId()).as("node on every request").isEqualTo("agent-1");

    DiscoveryRequest lds = nextRequest();
    assertThat(lds.getTypeUrl()).as("LDS after the first clusters").isEqualTo(EnvoyXdsClient.LDS);

    respond(EnvoyXdsClient.LDS, "l1", "n2", listener(List.of(ROUTER)));
    assertThat(nextRequest().getVersionInfo()).isEqualTo("l1");
    DiscoveryRequest rds = nextRequest();
    assertThat(rds.getTypeUrl()).isEqualTo(EnvoyXdsClient.RDS);
    assertThat(rds.getResourceNamesList()).containsExactly("routes_a");

    respond(
        EnvoyXdsClient.RDS,
        "r1",
        "n3",
        RouteConfiguration.newBuilder().setName("routes_a").build());
    DiscoveryRequest rdsAck = nextRequest();
    assertThat(rdsAck.getResponseNonce()).isEqualTo("n3");
    assertThat(rdsAck.getResourceNamesList()).containsExactly("routes_a");
    assertThat(client.state().routes()).containsKey("routes_a");
    assertThat(client.history())
        .extracting(XdsExchange::accepted)
        .containsExactly(true, true, true);
  }

  @Test
  void nacksWithTheLastAcceptedVersionTheRefusedNonceAndErrorDetailAndKeepsItsState()
      throws Exception {
    nextRequest();
    respond(EnvoyXdsClient.CDS, "c1", "n1", Cluster.newBuilder().setName("vendor_twilio").build());
    nextRequest(); // ACK
    nextRequest(); // LDS subscription
    HttpFilter routerFirst = ROUTER;
    HttpFilter notTerminal =
        HttpFilter.newBuilder()
            .setName("envoy.filters.http.router2")
            .setTypedConfig(Any.pack(Router.getDefaultInstance()))
            .build();
    respond(EnvoyXdsClient.LDS, "l1", "n2", listener(List.of(routerFirst, notTerminal)));

    DiscoveryRequest nack = nextRequest();
    assertThat(nack.getTypeUrl()).isEqualTo(EnvoyXdsClient.LDS);
    assertThat(nack.getVersionInfo()).as("nothing accepted yet").isEmpty();
    assertThat(nack.getResponseNonce()).isEqualTo("n2");
    assertThat(nack.getErrorDetail().getCode()).isEqualTo(3);
    assertThat(nack.getErrorDetail().getMessage()).contains("must be the last filter");
    assertThat(client.state().listeners()).isEmpty();

    respond(
        EnvoyXdsClient.CDS, "c2", "n3", Cluster.newBuilder().setName("c").setTypeValue(99).build());
    DiscoveryRequest cdsNack = nextRequest();
    assertThat(cdsNack.getVersionInfo()).as("last accepted CDS version").isEqualTo("c1");
    assertThat(cdsNack.getResponseNonce()).isEqualTo("n3");
    assertThat(cdsNack.getErrorDetail().getMessage()).contains("unknown enum value 99");
    assertThat(client.state().clusters()).containsOnlyKeys("vendor_twilio");
    assertThat(client.history())
        .extracting(XdsExchange::accepted)
        .containsExactly(true, false, false);
  }
}
