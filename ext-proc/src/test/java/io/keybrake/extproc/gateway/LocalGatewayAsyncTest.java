package io.keybrake.extproc.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.pipeline.DecisionPipeline;
import io.keybrake.core.pipeline.PipelineSettings;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.testing.InMemoryAuditLog;
import io.keybrake.core.testing.InMemoryKeyStore;
import io.keybrake.core.testing.InMemoryStore;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.testing.RawHttpAnswers;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.extproc.server.KeybrakeExternalProcessor;
import io.keybrake.extproc.server.StreamMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The local gateway holds no thread per call while the vendor answers: more calls can be in flight
 * at once than the gateway's server has threads, and every one completes.
 */
class LocalGatewayAsyncTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String SECRET = "vault_key_" + "A".repeat(40);
  private static final String ACCOUNT = "AC" + "0123456789abcdef".repeat(2);
  private static final String PRICED_201 =
      "{\"sid\":\"SM0123456789abcdef0123456789abcdef\",\"status\":\"queued\","
          + "\"price\":\"-0.00790\",\"price_unit\":\"USD\"}";

  /** More than the gateway server's threads (of which the acceptor and selector take some). */
  private static final int IN_FLIGHT = 40;

  private static final int GATEWAY_THREADS = 8;

  private final List<AutoCloseable> closers = new ArrayList<>();
  private final InMemoryStore store = new InMemoryStore();

  @AfterEach
  void stop() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  @Test
  void moreCallsInFlightThanGatewayThreadsAllComplete() throws Exception {
    // the vendor answers nobody until every call is waiting for it at once
    List<Runnable> held = new ArrayList<>();
    Server vendor = new Server(0);
    vendor.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            Runnable answer =
                () -> {
                  response.setStatus(201);
                  response.getHeaders().put("content-type", "application/json");
                  response.write(true, ByteBuffer.wrap(PRICED_201.getBytes(UTF_8)), callback);
                };
            List<Runnable> release = List.of();
            synchronized (held) {
              held.add(answer);
              if (held.size() == IN_FLIGHT) {
                release = List.copyOf(held);
              }
            }
            release.forEach(Runnable::run);
            return true;
          }
        });
    vendor.start();
    closers.add(vendor::stop);
    int vendorPort = ((ServerConnector) vendor.getConnectors()[0]).getLocalPort();

    QueuedThreadPool few = new QueuedThreadPool(GATEWAY_THREADS, 2);
    few.setReservedThreads(0);
    Server gateway = new Server(few);
    ServerConnector connector = new ServerConnector(gateway, 1, 1);
    gateway.addConnector(connector);
    gateway.setHandler(gateway(URI.create("http://127.0.0.1:" + vendorPort)));
    gateway.start();
    closers.add(gateway::stop);
    int port = connector.getLocalPort();

    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < IN_FLIGHT; i++) {
      String body = "To=%2B14155552671&From=%2B15005550006&Body=call" + i;
      calls.add(
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + port
                              + "/twilio/2010-04-01/Accounts/"
                              + SECRET
                              + "/Messages.json"))
                  .header("content-type", "application/x-www-form-urlencoded")
                  .timeout(Duration.ofSeconds(30))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

    for (CompletableFuture<HttpResponse<String>> call : calls) {
      HttpResponse<String> r = call.join();
      assertThat(r.statusCode()).isEqualTo(201);
      assertThat(r.body()).contains("SM0123456789abcdef0123456789abcdef");
      assertThat(r.headers().firstValue("x-keybrake-spent-usd")).isPresent();
    }
    assertThat(store.reservations()).hasSize(IN_FLIGHT);
    assertThat(store.reservations().values())
        .allMatch(r -> r.state() == InMemoryStore.State.SETTLED);
  }

  @Test
  void aBodyOverTheLimitIsRefused413WithoutReachingTheVendor() throws Exception {
    int port = gatewayWithNoVendor();

    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + port
                                + "/twilio/2010-04-01/Accounts/"
                                + SECRET
                                + "/Messages.json"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("Body=" + "x".repeat(5_000)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.body()).contains("request_too_large");
    assertThat(store.reservations()).isEmpty();
  }

  @Test
  void aBodyFarOverTheLimitIsReadSoTheClientGets413OnAConnectionThatStaysOpen() throws Exception {
    int port = gatewayWithNoVendor();
    int over = 2 << 20; // 2 MiB over the 4,096-byte limit: more than the server buffers unread

    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      java.io.OutputStream out = socket.getOutputStream();
      java.io.InputStream in = socket.getInputStream();
      String path = "/twilio/2010-04-01/Accounts/" + SECRET + "/Messages.json";
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                  + (4096 + over)
                  + "\r\n\r\n")
              .getBytes(UTF_8));
      // the body is written while the answer is read: the gateway refuses before it all arrived
      CompletableFuture<Void> sent =
          CompletableFuture.runAsync(
              () -> {
                try {
                  byte[] chunk = new byte[64 * 1024];
                  java.util.Arrays.fill(chunk, (byte) 'x');
                  for (int left = 4096 + over; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, Math.min(left, chunk.length));
                  }
                  out.flush();
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });

      String first = RawHttpAnswers.read(in);
      sent.get(30, TimeUnit.SECONDS); // every byte was taken: the connection was not reset
      assertThat(first).startsWith("HTTP/1.1 413").contains("request_too_large");
      assertThat(first.toLowerCase(java.util.Locale.ROOT)).doesNotContain("connection: close");

      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n"
                  + "\r\nx=1")
              .getBytes(UTF_8));
      out.flush();
      assertThat(RawHttpAnswers.read(in))
          .as("the same connection answers the next request")
          .startsWith("HTTP/1.1 ");
    }
    assertThat(store.reservations()).isEmpty();
  }

  /** A gateway whose vendor cannot be reached (nothing may get that far); returns its port. */
  private int gatewayWithNoVendor() throws Exception {
    Server gateway = new Server(0);
    gateway.setHandler(gateway(URI.create("http://127.0.0.1:9")));
    gateway.start();
    closers.add(gateway::stop);
    return ((ServerConnector) gateway.getConnectors()[0]).getLocalPort();
  }

  private LocalGateway gateway(URI vendorBase) throws Exception {
    MutableClock clock = new MutableClock(NOW);
    InMemoryKeyStore keys = new InMemoryKeyStore();
    keys.create(key());
    DecisionPipeline pipeline =
        new DecisionPipeline(
            VendorRegistry.loadDefault(),
            new KeyCache(keys, clock, Duration.ZERO),
            store,
            store,
            new InMemoryAuditLog(),
            new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
            clock,
            System::nanoTime,
            new PipelineSettings(4096, Duration.ofSeconds(1), Duration.ofSeconds(1)));
    KeybrakeExternalProcessor processor =
        new KeybrakeExternalProcessor(pipeline, new StreamMetrics(new SimpleMeterRegistry()));
    String name = InProcessServerBuilder.generateName();
    io.grpc.Server inProcess =
        InProcessServerBuilder.forName(name)
            .addService(processor.forLocalGateway())
            .directExecutor()
            .build()
            .start();
    closers.add(inProcess::shutdownNow);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    closers.add(channel::shutdownNow);
    UpstreamClient upstream =
        new UpstreamClient(new Upstreams(Map.of("twilio", vendorBase)), Duration.ofSeconds(30));
    closers.add(upstream);
    return new LocalGateway(
        ExternalProcessorGrpc.newStub(channel),
        Map.of("twilio", "api.twilio.com"),
        upstream,
        4096,
        Duration.ofSeconds(10),
        Duration.ofSeconds(10));
  }

  private static KeyRecord key() throws Exception {
    Policy policy =
        ((PolicyParser.Parsed.Ok)
                PolicyParser.parse(
                    new ObjectMapper()
                        .readTree(
                            "{\"daily_usd_cap\":100,\"allowed_prefixes\":[\"+1\"],"
                                + "\"dedup_window_seconds\":60}")))
            .policy();
    return new KeyRecord(
        "key_t1",
        "test",
        "twilio",
        Map.of(),
        policy,
        VaultKeys.hash(SECRET),
        new VendorCredential.Twilio(ACCOUNT, "token"),
        NOW.minusSeconds(60),
        Optional.empty(),
        Optional.empty());
  }
}
