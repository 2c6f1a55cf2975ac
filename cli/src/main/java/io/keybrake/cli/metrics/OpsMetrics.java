package io.keybrake.cli.metrics;

import io.keybrake.cli.app.StoreBundle;
import io.keybrake.controlplane.xds.KeySnapshotPublisher;
import io.keybrake.controlplane.xds.XdsServer;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.store.wal.WriteAheadAuditLog;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every metric of one Keybrake process, served as Prometheus text on {@code /metrics} (the series
 * are listed in {@code docs/metrics.md}). Store ports are wrapped ({@link #meter(StoreBundle)}) so
 * ledger and audit calls are timed and decisions counted from their audit rows; gauges that need a
 * store read (budgets) are refreshed on each scrape. Labels come from bounded sets; key ids and
 * secrets are never labels. Thread-safe.
 */
public final class OpsMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpsMetrics.class);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Clock clock;
  private final LongSupplier nanoTicker;
  private final DecisionMeters decisions;
  private final AuditDrainMeters drain;
  private final RevocationMeters revocations;
  private final GuardMeters guards;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();
  private volatile BiConsumer<ReserveRequest, ReserveOutcome> reservations = (r, o) -> {};

  /**
   * @param keyLabels key labels that become labels of the decision counter ({@code key_<name>});
   *     chosen by the operator ({@code KEYBRAKE_METRICS_KEY_LABELS}), empty by default
   */
  public OpsMetrics(Clock clock, VendorRegistry vendors, List<String> keyLabels) {
    this.clock = clock;
    this.nanoTicker = System::nanoTime;
    this.decisions = new DecisionMeters(registry, vendors, keyLabels);
    this.drain = new AuditDrainMeters(registry, clock);
    this.revocations = new RevocationMeters(registry, nanoTicker);
    this.guards = new GuardMeters(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition, after refreshing the gauges read from the store. */
  public String scrape() {
    for (Runnable r : beforeScrape) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.debug("metric refresh failed: {}", e.getMessage());
      }
    }
    return registry.scrape();
  }

  /**
   * The same store with its ledger, dedup cache and audit log metered. A write-ahead audit log's
   * backlog is watched.
   */
  public StoreBundle meter(StoreBundle store) {
    StoreCallMeters ledgerCalls = new StoreCallMeters(registry, "ledger", nanoTicker);
    ledgerCalls.declare("reserve", "settle", "claim_reserve", "settle_complete");
    StoreCallMeters auditCalls = new StoreCallMeters(registry, "audit", nanoTicker);
    auditCalls.declare("append");
    BiConsumer<ReserveRequest, ReserveOutcome> reserved = (r, o) -> reservations.accept(r, o);
    if (store.auditLog() instanceof WriteAheadAuditLog wal) {
      drain.watch(wal::pending);
    }
    return new StoreBundle(
        store.keyStore(),
        new MeteredLedger(store.ledger(), ledgerCalls, reserved),
        new MeteredAdmission(store.admission(), ledgerCalls, reserved),
        new MeteredAuditLog(
            store.auditLog(),
            auditCalls,
            entry -> {
              drain.appended();
              decisions.record(entry);
            }),
        store.budgetStore(),
        store.purge(),
        store.revocations(),
        store.staleSweep(),
        store.readiness(),
        store.closer(),
        store.thresholds(),
        store.guardCounters(),
        store.unitOfWork(),
        store.leases());
  }

  /**
   * Told of every reservation made through the metered ledger, once it is committed (budget
   * threshold webhooks).
   */
  public void onReservation(BiConsumer<ReserveRequest, ReserveOutcome> listener) {
    this.reservations = listener;
  }

  /** Exports spend, reservations, cap and usage ratio of every budget, read on each scrape. */
  public void watchBudgets(BudgetStore budgets, Ledger ledger) {
    BudgetGauges gauges = new BudgetGauges(registry, budgets, ledger, clock);
    beforeScrape.add(gauges::refresh);
  }

  /** Exports the xDS server's ACKs and NACKs and the snapshot publisher's pushes and failures. */
  public void watchXds(XdsServer xds, KeySnapshotPublisher publisher) {
    FunctionCounter.builder("keybrake_xds_pushes", publisher, KeySnapshotPublisher::publications)
        .description("xDS snapshots published to Envoy (one per change of keys or settings)")
        .register(registry);
    FunctionCounter.builder(
            "keybrake_xds_store_failures", publisher, KeySnapshotPublisher::storeFailures)
        .description(
            "xDS snapshot refreshes that could not read the key store (Envoy keeps its last"
                + " routes)")
        .register(registry);
    FunctionCounter.builder("keybrake_xds_acks", xds, XdsServer::acks)
        .description("xDS responses Envoy accepted (ACK)")
        .register(registry);
    FunctionCounter.builder("keybrake_xds_nacks", xds, XdsServer::nacks)
        .description(
            "xDS responses Envoy refused (NACK): Envoy keeps its previous configuration; see the"
                + " control plane's log for the error detail")
        .register(registry);
  }

  /** Exports the age of the price table a vendor's estimates come from. */
  public void watchPriceTable(String vendor, Supplier<LocalDate> asOf) {
    Gauge.builder(
            "keybrake_price_table_age_seconds",
            asOf,
            d ->
                Math.max(
                    0,
                    Duration.between(
                            d.get().atStartOfDay(ZoneOffset.UTC).toInstant(), clock.instant())
                        .toSeconds()))
        .description(
            "Age of the price table estimates are made from (since its as-of date); refresh with"
                + " keybrake prices sync")
        .tag("vendor", vendor)
        .strongReference(true)
        .register(registry);
  }

  /** Guard trips ({@code keybrake_guard_trips_total}). */
  public io.keybrake.core.guard.GuardEvents guards() {
    return guards;
  }

  /** Revocation propagation timing. */
  public RevocationMeters revocations() {
    return revocations;
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  /** The store's own ledger under the timing wrapper {@link #meter} puts around it. */
  public static io.keybrake.core.ledger.Ledger unwrap(io.keybrake.core.ledger.Ledger ledger) {
    return ledger instanceof MeteredLedger m ? m.delegate() : ledger;
  }
}
