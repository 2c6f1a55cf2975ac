package io.keybrake.cli.app;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.keybrake.cli.settings.Settings;
import io.keybrake.controlplane.admin.AdminApi;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.pipeline.DecisionPipeline;
import io.keybrake.core.pipeline.PipelineSettings;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.extproc.gateway.LocalGateway;
import io.keybrake.extproc.gateway.UpstreamClient;
import io.keybrake.extproc.gateway.Upstreams;
import io.keybrake.extproc.server.KeybrakeExternalProcessor;
import io.keybrake.extproc.server.StreamMetrics;
import io.keybrake.store.EmbeddedStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Everything {@code keybrake up} runs in one process: the embedded store, the decision pipeline,
 * the ext_proc gRPC server (for Envoy), and on one HTTP port the admin API, the local gateway and
 * {@code /metrics}. The local gateway reaches the same processor through an in-process gRPC
 * channel, speaking ext_proc exactly as Envoy does. {@link #close()} stops it all.
 */
public final class KeybrakeApp implements AutoCloseable {
  /** Envoy's defaults for the local data plane's ext_proc timeouts. */
  static final Duration MESSAGE_TIMEOUT = Duration.ofMillis(500);

  static final Duration MAX_MESSAGE_TIMEOUT = Duration.ofSeconds(5);

  private final EmbeddedStore store;
  private final Server http;
  private final io.grpc.Server grpc;
  private final io.grpc.Server inProcess;
  private final ManagedChannel channel;
  private final UpstreamClient upstream;
  private final ExecutorService grpcExecutor;
  private final String adminKey;
  private final boolean adminKeyGenerated;
  private final StreamMetrics streamMetrics;

  private KeybrakeApp(Settings settings, Clock clock) throws Exception {
    this.store = EmbeddedStore.open(settings.dataDir(), settings.kekBase64(), clock);
    try {
      if (settings.adminKey().isPresent()) {
        adminKey = settings.adminKey().get();
        adminKeyGenerated = false;
      } else {
        adminKey = AdminKeyFile.loadOrCreate(settings.dataDir());
        adminKeyGenerated = true;
      }
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      VendorRegistry vendors = VendorRegistry.loadDefault();
      PipelineSettings ps = PipelineSettings.DEFAULTS;
      KeyCache keyCache = new KeyCache(store.keyStore(), clock, ps.keyCacheTtl());
      DecisionPipeline pipeline =
          new DecisionPipeline(
              vendors,
              keyCache,
              store.ledger(),
              store.dedupCache(),
              store.auditLog(),
              new CostEstimator(PriceTable.loadDefault(), Currencies.loadDefault()),
              clock,
              System::nanoTime,
              ps);
      streamMetrics = new StreamMetrics(registry);
      KeybrakeExternalProcessor processor = new KeybrakeExternalProcessor(pipeline, streamMetrics);
      grpcExecutor = Executors.newCachedThreadPool(daemonThreads("keybrake-extproc"));
      HealthStatusManager health = new HealthStatusManager();
      grpc =
          NettyServerBuilder.forAddress(new InetSocketAddress(settings.grpcPort()))
              .addService(processor)
              .addService(health.getHealthService())
              .executor(grpcExecutor)
              .build()
              .start();
      String inProcessName = "keybrake-" + UUID.randomUUID();
      inProcess =
          InProcessServerBuilder.forName(inProcessName)
              .addService(processor)
              .executor(grpcExecutor)
              .build()
              .start();
      channel = InProcessChannelBuilder.forName(inProcessName).directExecutor().build();

      Map<String, URI> upstreamMap = new LinkedHashMap<>();
      Map<String, String> prefixToHost = new LinkedHashMap<>();
      for (VendorSpec spec : vendors.all()) {
        upstreamMap.put(spec.id(), settings.upstreams().getOrDefault(spec.id(), spec.upstream()));
        prefixToHost.put(spec.id(), spec.upstream().getHost());
      }
      upstream = new UpstreamClient(new Upstreams(upstreamMap), Duration.ofSeconds(30));
      LocalGateway gateway =
          new LocalGateway(
              ExternalProcessorGrpc.newStub(channel),
              prefixToHost,
              upstream,
              ps.maxBodyBytes(),
              MESSAGE_TIMEOUT,
              MAX_MESSAGE_TIMEOUT);
      AdminApi admin =
          new AdminApi(
              adminKey,
              store.keyStore(),
              store.ledger(),
              store.auditLog(),
              clock,
              revoked -> keyCache.invalidate(revoked.id()));

      QueuedThreadPool threads = new QueuedThreadPool(256, 8);
      threads.setName("keybrake-http");
      threads.setDaemon(true);
      http = new Server(threads);
      org.eclipse.jetty.server.HttpConfiguration httpConfig =
          new org.eclipse.jetty.server.HttpConfiguration();
      httpConfig.setSendServerVersion(false);
      // The pipeline's own path normaliser refuses ambiguous paths with a clear JSON error and an
      // audit row; Jetty must hand them over raw instead of answering with an HTML page.
      httpConfig.setUriCompliance(org.eclipse.jetty.http.UriCompliance.UNSAFE);
      ServerConnector connector =
          new ServerConnector(http, new org.eclipse.jetty.server.HttpConnectionFactory(httpConfig));
      connector.setPort(settings.httpPort());
      http.addConnector(connector);
      http.setErrorHandler(new JsonErrorHandler());
      http.setHandler(new Handler.Sequence(new OpsHandler(registry), admin, gateway));
      http.start();
    } catch (Exception | Error e) {
      store.close();
      throw e;
    }
  }

  /** Starts everything; the returned app is running. */
  public static KeybrakeApp start(Settings settings, Clock clock) throws Exception {
    return new KeybrakeApp(settings, clock);
  }

  public int httpPort() {
    return ((ServerConnector) http.getConnectors()[0]).getLocalPort();
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public String adminKey() {
    return adminKey;
  }

  public boolean adminKeyGenerated() {
    return adminKeyGenerated;
  }

  /** The ext_proc server's stream metrics (open streams, decisions). */
  public StreamMetrics streamMetrics() {
    return streamMetrics;
  }

  public EmbeddedStore store() {
    return store;
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() throws java.io.IOException {
    java.io.IOException failure = null;
    try {
      http.stop();
    } catch (Exception e) {
      failure = new java.io.IOException("HTTP server did not stop cleanly", e);
    }
    channel.shutdownNow();
    inProcess.shutdownNow();
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(2, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      grpc.shutdownNow();
    }
    upstream.close();
    grpcExecutor.shutdownNow();
    store.close();
    if (failure != null) {
      throw failure;
    }
  }
}
