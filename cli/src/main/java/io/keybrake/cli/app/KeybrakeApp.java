package io.keybrake.cli.app;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.keybrake.cli.metrics.OpsMetrics;
import io.keybrake.cli.prices.TwilioPriceReconciler;
import io.keybrake.cli.settings.KubernetesMode;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import io.keybrake.cli.settings.XdsEnvironment;
import io.keybrake.cli.webhook.BudgetWebhooks;
import io.keybrake.controlplane.admin.AdminApi;
import io.keybrake.controlplane.xds.KeySnapshotPublisher;
import io.keybrake.controlplane.xds.KeybrakeSnapshots;
import io.keybrake.controlplane.xds.SecretSource;
import io.keybrake.controlplane.xds.XdsServer;
import io.keybrake.controlplane.xds.XdsSettings;
import io.keybrake.core.budget.BudgetCache;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.guard.Guard;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.pipeline.DecisionPipeline;
import io.keybrake.core.pipeline.PipelineSettings;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.extproc.gateway.LocalGateway;
import io.keybrake.extproc.gateway.UpstreamClient;
import io.keybrake.extproc.gateway.Upstreams;
import io.keybrake.extproc.lookup.HttpObjectLookup;
import io.keybrake.extproc.server.KeybrakeExternalProcessor;
import io.keybrake.extproc.server.StreamMetrics;
import io.keybrake.operator.keys.KeyEvents;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Keybrake process: the store, the decision pipeline and the servers of its {@link Role}s. {@code
 * keybrake up} runs every role in one process: the ext_proc gRPC server (for Envoy), the xDS
 * server, and on one HTTP port the admin API, the local gateway and {@code /metrics}. The local
 * gateway reaches the same processor through an in-process gRPC channel, speaking ext_proc exactly
 * as Envoy does. {@link #close()} stops everything, last started first.
 */
public final class KeybrakeApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeybrakeApp.class);

  /**
   * The local data plane's ext_proc message timeout. Envoy gets 500 ms from the control plane; the
   * local gateway, which shares the processor's machine (and its CPU) with the agent, allows more
   * before it fails closed with 504: longer than the fleet ledger's whole deadline (a command
   * deadline of 2 s, extended while Redis keeps answering, at most 8 s), so that a busy machine
   * gets an answer from the processor (forwarded, or 503 when the ledger is really down) rather
   * than a 504 from its own data plane.
   */
  static final Duration MESSAGE_TIMEOUT = Duration.ofSeconds(10);

  /** The most a processor's {@code override_message_timeout} may ask of the local gateway. */
  static final Duration MAX_MESSAGE_TIMEOUT =
      XdsSettings.defaults().maxMessageTimeout().compareTo(MESSAGE_TIMEOUT) > 0
          ? XdsSettings.defaults().maxMessageTimeout()
          : MESSAGE_TIMEOUT;

  private final Closer closer = new Closer();
  private final Clock clock;
  private final StoreBundle store;
  private final OpsMetrics metrics;
  private final OpsSettings ops;
  private final StreamMetrics streamMetrics;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(daemonThreads("keybrake-scheduler"));
  private String adminKey;
  private boolean adminKeyGenerated;
  private io.grpc.Server grpc;
  private XdsServer xds;
  private volatile KeySnapshotPublisher xdsPublisher;
  private Server http;
  private TwilioPriceReconciler reconciler;
  private io.keybrake.cli.metrics.ReconciliationLag reconciliationLag;
  private KubernetesRole kubernetes;

  private KeybrakeApp(
      Settings settings,
      OpsSettings ops,
      Clock clock,
      Set<Role> roles,
      StoreBundle store,
      Optional<KubernetesMode> k8s,
      Supplier<KubernetesClient> k8sClients)
      throws IOException {
    this.ops = ops;
    this.metrics = new OpsMetrics(clock, VendorRegistry.configured(), ops.metricsKeyLabels());
    this.streamMetrics = new StreamMetrics(metrics.registry());
    this.store = metrics.meter(store);
    this.clock = clock;
    closer.register(store.closer());
    closer.register(metrics);
    closer.register(scheduler::shutdownNow);
    try {
      startRoles(settings, clock, roles, k8s, k8sClients);
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly();
      throw e;
    }
  }

  /** Starts every role on the embedded store; the returned app is running. */
  public static KeybrakeApp start(Settings settings, Clock clock) throws IOException {
    return start(settings, clock, Role.all());
  }

  /** Starts the given roles on the store the settings name. */
  public static KeybrakeApp start(Settings settings, Clock clock, Set<Role> roles)
      throws IOException {
    return start(settings, OpsSettings.DEFAULTS, clock, roles);
  }

  /** Starts the given roles with operations settings (metric key labels, webhooks). */
  public static KeybrakeApp start(Settings settings, OpsSettings ops, Clock clock, Set<Role> roles)
      throws IOException {
    return start(settings, ops, clock, roles, Optional.empty(), IN_CLUSTER);
  }

  /** A client from the pod's service account (or the kubeconfig outside a cluster). */
  public static final Supplier<KubernetesClient> IN_CLUSTER =
      () -> new KubernetesClientBuilder().build();

  /**
   * Starts the given roles, and with {@code k8s} the Kubernetes part of a control plane on a client
   * from {@code k8sClients} (in a pod: {@code new KubernetesClientBuilder().build()}).
   */
  public static KeybrakeApp start(
      Settings settings,
      OpsSettings ops,
      Clock clock,
      Set<Role> roles,
      Optional<KubernetesMode> k8s,
      Supplier<KubernetesClient> k8sClients)
      throws IOException {
    return new KeybrakeApp(
        settings, ops, clock, roles, StoreBundle.open(settings, clock), k8s, k8sClients);
  }

  private void startRoles(
      Settings settings,
      Clock clock,
      Set<Role> roles,
      Optional<KubernetesMode> k8s,
      Supplier<KubernetesClient> k8sClients)
      throws IOException {
    PipelineSettings ps = PipelineSettings.DEFAULTS;
    KeyCache keyCache = new KeyCache(store.keyStore(), clock, ps.keyCacheTtl());
    BudgetCache budgetCache = new BudgetCache(store.budgetStore(), clock, ps.keyCacheTtl());
    closer.register(
        store
            .revocations()
            .subscribe(
                id -> {
                  if (id.equals(BUDGETS_CHANGED)) {
                    budgetCache.invalidate();
                  } else {
                    // one id, or several joined by ',' (a bulk revocation)
                    for (String one : id.split(",")) {
                      keyCache.invalidate(one);
                      xdsKeyRevoked(one); // another instance revoked it: its route goes here too
                      metrics.revocations().reached(one, "feed");
                    }
                  }
                },
                () -> {
                  keyCache.clear();
                  budgetCache.invalidate();
                }));
    VendorRegistry vendors = VendorRegistry.configured();
    PriceTable prices = io.keybrake.cli.prices.PriceFiles.load(settings.dataDir());
    CostEstimator costs = new CostEstimator(prices, Currencies.loadDefault());
    metrics.watchPriceTable("twilio", prices::asOf);
    metrics.watchBudgets(store.budgetStore(), store.ledger());
    List<Handler> handlers = new ArrayList<>();
    handlers.add(new OpsHandler(metrics::scrape, store.readiness()));

    // guards: a looping key is revoked through revokedHere below
    LoopSuspension loopSuspension = new LoopSuspension(store.keyStore(), store.auditLog(), clock);
    if (roles.contains(Role.EXT_PROC) || roles.contains(Role.GATEWAY)) {
      DecisionPipeline pipeline =
          new DecisionPipeline(
              vendors,
              keyCache,
              store.ledger(),
              store.admission(),
              store.auditLog(),
              costs,
              clock,
              System::nanoTime,
              ps,
              budgetCache::limitsFor,
              new HttpObjectLookup(upstreams(settings, vendors), LOOKUP_TIMEOUT),
              new Guard(
                  store.guardCounters(),
                  loopSuspension,
                  closer.register(
                      new io.keybrake.cli.webhook.GuardAlerts(
                          metrics.guards(),
                          ops.webhookUrls(),
                          ops.webhookSecret().orElse(""),
                          clock,
                          metrics.registry())),
                  clock));
      KeybrakeExternalProcessor processor = new KeybrakeExternalProcessor(pipeline, streamMetrics);
      BudgetWebhooks webhooks =
          closer.register(
              BudgetWebhooks.start(
                  store.thresholds(),
                  store.ledger(),
                  clock,
                  ops.webhookUrls(),
                  store.budgetStore(),
                  ops.webhookSecret().orElse(""),
                  ops.webhookSlack(),
                  metrics.registry()));
      metrics.onReservation(webhooks::reserved);
      startReconciler(settings, clock, vendors, costs);
      if (roles.contains(Role.EXT_PROC)) {
        HealthStatusManager health = new HealthStatusManager();
        // Decisions run on Netty's event loop (no hop per message) and continue on the store's
        // completion: the pipeline never blocks the calling thread, and its blocking parts (a
        // SQLite write, the forced write-ahead audit append, a vendor lookup) run on the store's
        // writer thread or a dedicated executor (io.keybrake.core.admission.Stages#blocking).
        io.grpc.Server server =
            NettyServerBuilder.forAddress(new InetSocketAddress(settings.grpcPort()))
                .addService(processor)
                .addService(health.getHealthService())
                .directExecutor()
                .build()
                .start();
        grpc = server;
        closer.register(() -> stopGrpc(server));
      }
      if (roles.contains(Role.GATEWAY)) {
        handlers.add(gateway(settings, vendors, processor, ps));
      }
    }
    // a key revoked here: this instance's cache, every other instance, and the xDS routes
    Consumer<String> dropFromCache =
        id -> {
          metrics.revocations().revoked(id);
          keyCache.invalidate(id);
          metrics.revocations().reached(id, "cache");
        };
    Consumer<String> dropRoute =
        id -> {
          if (xdsKeyRevoked(id)) {
            metrics.revocations().reached(id, "xds");
          }
        };
    Consumer<String> revokedHere =
        id -> {
          dropFromCache.accept(id);
          store.revocations().publish(id);
          dropRoute.accept(id);
        };
    loopSuspension.revokeThrough(revokedHere);
    SecretSource sdsSecrets = SecretSource.NONE;
    if (k8s.isPresent()) {
      kubernetes =
          closer.register(
              KubernetesRole.start(
                  k8s.get(),
                  k8sClients,
                  store.keyStore(),
                  store.budgetStore(),
                  store.ledger(),
                  store.auditLog(),
                  clock,
                  new KeyEvents() {
                    @Override
                    public void created(KeyRecord key) {
                      KeySnapshotPublisher publisher = xdsPublisher;
                      if (publisher != null) {
                        publisher.keyChanged(key);
                      }
                    }

                    @Override
                    public void revoked(KeyRecord key) {
                      revokedHere.accept(key.id());
                    }

                    @Override
                    public void policyChanged(KeyRecord key) {
                      // the same route; this instance's cache drops the old rules now, other
                      // instances' caches within their TTL
                      keyCache.invalidate(key.id());
                    }
                  }));
      sdsSecrets = kubernetes.secrets();
    }
    if (roles.contains(Role.XDS)) {
      startXds(settings, clock, sdsSecrets);
    }
    if (roles.contains(Role.ADMIN)) {
      if (settings.adminKey().isPresent()) {
        adminKey = settings.adminKey().get();
      } else {
        adminKey = AdminKeyFile.loadOrCreate(settings.dataDir());
        adminKeyGenerated = true;
      }
      handlers.add(
          1,
          new AdminApi(
                  adminKey,
                  store.keyStore(),
                  store.ledger(),
                  store.auditLog(),
                  clock,
                  revoked -> revokedHere.accept(revoked.id()),
                  created -> {
                    if (xdsPublisher != null) {
                      xdsPublisher.keyChanged(created);
                    }
                  })
              .withBulkRevocation(
                  ids -> {
                    ids.forEach(dropFromCache);
                    // one message per 200 ids rather than one per id: fewer round trips that
                    // can time out while an incident is being handled
                    for (int i = 0; i < ids.size(); i += REVOCATIONS_PER_MESSAGE) {
                      store
                          .revocations()
                          .publish(
                              String.join(
                                  ",",
                                  ids.subList(
                                      i, Math.min(ids.size(), i + REVOCATIONS_PER_MESSAGE))));
                    }
                    ids.forEach(dropRoute);
                  })
              .withUnitOfWork(store.unitOfWork())
              .withBudgets(
                  store.budgetStore(),
                  () -> {
                    budgetCache.invalidate();
                    store.revocations().publish(BUDGETS_CHANGED);
                  }));
    }
    scheduler.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.SECONDS);
    releaseOnClose(SWEEP_JOB);
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            sweepPass();
          } catch (RuntimeException e) {
            log.warn("stale reservation sweep failed: {}", e.getMessage());
          }
        },
        60,
        60,
        TimeUnit.SECONDS);
    startHttp(settings, handlers);
  }

  /** Settles Twilio messages and calls at the price Twilio gives them after creation. */
  private void startReconciler(
      Settings settings, Clock clock, VendorRegistry vendors, CostEstimator costs) {
    VendorSpec twilio = vendors.find("twilio").orElseThrow();
    reconciler =
        closer.register(
            new TwilioPriceReconciler(
                store.auditLog(),
                store.keyStore(),
                store.ledger(),
                twilio,
                costs,
                settings.upstreams().getOrDefault("twilio", twilio.upstream()),
                clock,
                Duration.ofDays(1)));
    // guards: keybrake_reconciliation_lag_seconds, refreshed after each pass
    reconciliationLag = new io.keybrake.cli.metrics.ReconciliationLag(metrics.registry(), clock);
    releaseOnClose(RECONCILER_JOB);
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            reconcilePass();
          } catch (RuntimeException e) {
            log.warn("price reconciliation failed: {}", e.getMessage());
          }
        },
        30,
        30,
        TimeUnit.SECONDS);
  }

  /**
   * A process that stops cleanly hands {@code job} to another instance at once (registered before
   * the store closes: the closer runs last first).
   */
  private void releaseOnClose(String job) {
    closer.register(
        () -> {
          try {
            store.leases().release(job);
          } catch (RuntimeException e) {
            log.debug("could not give the lease of {} up: {}", job, e.getMessage());
          }
        });
  }

  /** The lease name of the price reconciler's job ({@link io.keybrake.core.store.Leases}). */
  static final String RECONCILER_JOB = "price-reconciler";

  /**
   * How long the reconciler's lease lasts without its holder: passes come every 30 s, so a holder
   * that stopped without giving it up (a crash) leaves the job for at most this long plus a pass.
   */
  static final Duration RECONCILER_LEASE = Duration.ofSeconds(90);

  /**
   * One scheduled pass of the price reconciler (every 30 s), run by the process that holds the
   * reconciler's lease: in a fleet one instance fetches Twilio's prices, not every one of them (the
   * embedded store's process always holds it). Public for tests.
   *
   * @return whether this process ran the pass
   * @throws io.keybrake.core.store.StoreUnavailableException the store holding the lease, or one
   *     the pass needs, did not answer
   */
  public boolean reconcilePass() {
    if (!store.leases().hold(RECONCILER_JOB, RECONCILER_LEASE)) {
      reconciliationLag.notRunHere();
      return false;
    }
    reconciler.runOnce();
    reconciliationLag.refresh(reconciler.oldestUnpriced());
    return true;
  }

  /** How many revoked key ids one change-feed message carries in a bulk revocation. */
  static final int REVOCATIONS_PER_MESSAGE = 200;

  /** Revoked and expired keys leave the hot table this long after (the audit log keeps all). */
  static final Duration KEY_RETENTION = Duration.ofDays(30);

  /** A retried idempotent creation is shown the vault key again this long after the first. */
  static final Duration IDEMPOTENT_SECRET_WINDOW = AdminApi.IDEMPOTENT_SECRET_WINDOW;

  /**
   * How long after its reservation an exchange is surely over (vendor timeouts are far shorter).
   */
  static final Duration STALE_AFTER = Duration.ofMinutes(10);

  /**
   * Sent on the change feed when a budget is created, so every instance's budget cache reloads at
   * once (not a key id: key ids start with {@code key_}).
   */
  static final String BUDGETS_CHANGED = "*budgets*";

  /** The lease name of the stale-reservation sweep ({@link io.keybrake.core.store.Leases}). */
  static final String SWEEP_JOB = "stale-reservation-sweep";

  /** How long the sweep's lease lasts without its holder: three of its one-minute passes. */
  static final Duration SWEEP_LEASE = Duration.ofMinutes(3);

  /**
   * One scheduled pass of the stale-reservation sweep (every minute), run by the process that holds
   * the sweep's lease: in a fleet one instance scans Redis for orphans, not every one of them (two
   * sweeps at once were already safe: a reservation is unsettled and audited once). Public for
   * tests.
   *
   * @return whether this process ran the pass
   */
  public boolean sweepPass() {
    if (!store.leases().hold(SWEEP_JOB, SWEEP_LEASE)) {
      return false;
    }
    sweepStaleReservations(STALE_AFTER);
    return true;
  }

  /**
   * Audits and unsettles reservations made before {@code now - staleAfter} that are still open:
   * their instance died between reserve and settle. Public for tests ({@link #sweepPass} is the
   * scheduled pass).
   */
  public int sweepStaleReservations(Duration staleAfter) {
    return store.staleSweep().sweep(clock.instant().minus(staleAfter));
  }

  /** The Twilio price reconciler, or null when this process runs no data plane. */
  public TwilioPriceReconciler reconciler() {
    return reconciler;
  }

  private Handler gateway(
      Settings settings,
      VendorRegistry vendors,
      KeybrakeExternalProcessor processor,
      PipelineSettings ps)
      throws IOException {
    String name = "keybrake-" + UUID.randomUUID();
    // Direct executors on both ends: a message the gateway sends runs the processor on the
    // thread that sends it (Jetty's, or the one that completed the previous step), and the answer
    // continues the gateway's exchange on the thread that completed the decision (the store's):
    // no thread waits for an answer and none is handed a message. The message timeout (on a
    // shared timer) bounds every answer.
    io.grpc.Server inProcess =
        InProcessServerBuilder.forName(name)
            .addService(processor.forLocalGateway())
            .directExecutor()
            .build()
            .start();
    closer.register(inProcess::shutdownNow);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    closer.register(channel::shutdownNow);
    Map<String, URI> upstreamMap = upstreams(settings, vendors);
    Map<String, String> prefixToHost = new LinkedHashMap<>();
    for (VendorSpec spec : vendors.all()) {
      prefixToHost.put(spec.id(), spec.upstream().getHost());
    }
    UpstreamClient upstream =
        closer.register(new UpstreamClient(new Upstreams(upstreamMap), Duration.ofSeconds(30)));
    return new LocalGateway(
        ExternalProcessorGrpc.newStub(channel),
        prefixToHost,
        upstream,
        ps.maxBodyBytes(),
        MESSAGE_TIMEOUT,
        MAX_MESSAGE_TIMEOUT);
  }

  /** Each vendor's API base URL: its spec's, or the one the settings put in its place. */
  private static Map<String, URI> upstreams(Settings settings, VendorRegistry vendors) {
    Map<String, URI> out = new LinkedHashMap<>();
    for (VendorSpec spec : vendors.all()) {
      out.put(spec.id(), settings.upstreams().getOrDefault(spec.id(), spec.upstream()));
    }
    return out;
  }

  /** The most one vendor-object lookup (pricing a call before it) may take. */
  static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(3);

  private void startXds(Settings settings, Clock clock, SecretSource sdsSecrets)
      throws IOException {
    xds =
        closer.register(
            new XdsServer(
                    NettyServerBuilder.forAddress(new InetSocketAddress(settings.xdsPort())), clock)
                .start());
    // ext_proc host, listener port, timeouts and CA path come from KEYBRAKE_XDS_* (a Service
    // name in Kubernetes); defaults match the shipped Envoy configs
    XdsEnvironment.Result xdsEnv =
        XdsEnvironment.parse(System.getenv(), grpc != null ? grpc.getPort() : settings.grpcPort());
    if (xdsEnv instanceof XdsEnvironment.Result.Invalid bad) {
      throw new IllegalArgumentException(String.join("; ", bad.problems()));
    }
    XdsSettings xdsSettings = ((XdsEnvironment.Result.Ok) xdsEnv).settings();
    xdsPublisher =
        closer.register(
            new KeySnapshotPublisher(
                    store.keyStore(),
                    new KeybrakeSnapshots(xdsSettings, sdsSecrets),
                    xds.cache(),
                    clock,
                    scheduler,
                    KeySnapshotPublisher.DEFAULT_PERIOD)
                .start());
    xds.onNodeGroup(xdsPublisher::nodeGroupSeen);
    metrics.watchXds(xds, xdsPublisher);
  }

  private void startHttp(Settings settings, List<Handler> handlers) throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(256, 8);
    threads.setName("keybrake-http");
    threads.setDaemon(true);
    Server server = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    // The pipeline's own path normaliser refuses ambiguous paths with a clear JSON error and an
    // audit row; Jetty must hand them over raw instead of answering with an HTML page.
    config.setUriCompliance(org.eclipse.jetty.http.UriCompliance.UNSAFE);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config));
    connector.setPort(settings.httpPort());
    server.addConnector(connector);
    server.setErrorHandler(new JsonErrorHandler());
    server.setHandler(new Handler.Sequence(handlers.toArray(Handler[]::new)));
    try {
      server.start();
    } catch (Exception e) {
      throw new IOException("cannot start the HTTP server on port " + settings.httpPort(), e);
    }
    http = server;
    closer.register(server::stop);
  }

  /** Tells the xDS publisher a key was revoked; false when this process serves no xDS. */
  private boolean xdsKeyRevoked(String keyId) {
    KeySnapshotPublisher publisher = xdsPublisher;
    if (publisher != null) {
      publisher.keyRevoked(keyId);
      return true;
    }
    return false;
  }

  private void purge() {
    try {
      store.purge().run();
    } catch (RuntimeException e) {
      log.warn("store purge failed: {}", e.getMessage());
    }
    try {
      int archived =
          store.keyStore().archive(clock.instant(), KEY_RETENTION, IDEMPOTENT_SECRET_WINDOW);
      if (archived > 0) {
        log.info("archived {} key(s) revoked or expired over {} ago", archived, KEY_RETENTION);
      }
    } catch (RuntimeException e) {
      log.warn("key archive failed: {}", e.getMessage());
    }
  }

  private static void stopGrpc(io.grpc.Server server) throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
  }

  public int httpPort() {
    return ((ServerConnector) http.getConnectors()[0]).getLocalPort();
  }

  /** The ext_proc port, or -1 when this process does not serve ext_proc. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.getPort();
  }

  /** The Kubernetes webhook and token exchange port, or -1 outside Kubernetes mode. */
  public int kubernetesHttpsPort() {
    return kubernetes == null ? -1 : kubernetes.httpsPort();
  }

  /** Whether this replica leads the Kubernetes operator (false outside Kubernetes mode). */
  public boolean kubernetesLeading() {
    return kubernetes != null && kubernetes.isLeading();
  }

  /** The xDS port, or -1 when this process does not serve xDS. */
  public int xdsPort() {
    return xds == null ? -1 : xds.port();
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

  public StoreBundle store() {
    return store;
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private void closeQuietly() {
    try {
      closer.close();
    } catch (IOException e) {
      log.warn("{}", e.getMessage());
    }
  }

  @Override
  public void close() throws IOException {
    closer.close();
  }
}
