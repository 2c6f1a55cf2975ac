package io.keybrake.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.controlplane.xds.SecretSource;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.operator.admission.AdmissionHandler;
import io.keybrake.operator.admission.PodInjector;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.keys.KeyChangeAudit;
import io.keybrake.operator.keys.KeyEvents;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.podkey.PodKeyExchange;
import io.keybrake.operator.podkey.PodKeyHandler;
import io.keybrake.operator.podkey.PodKeyPolicies;
import io.keybrake.operator.podkey.PodKeyRevoker;
import io.keybrake.operator.podkey.TokenReviewer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.operator.reconcile.KeybrakeOperator;
import io.keybrake.operator.reconcile.LeaderElected;
import io.keybrake.operator.reconcile.SpendBudgetReconciler;
import io.keybrake.operator.reconcile.VaultKeyReconciler;
import io.keybrake.operator.sds.ClusterCa;
import io.keybrake.operator.sds.VendorCertificates;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.server.Handler;

/**
 * Everything Kubernetes adds to a control-plane process, assembled from {@link KubernetesSettings}
 * and the registry's ports: the webhook and token exchange handlers (every replica serves them),
 * the operator and pod-key revoker (the leader only), and the vendor-host certificates for SDS.
 * {@link #start} once; {@link #close()} stops what it started.
 */
public final class KubernetesControlPlane implements AutoCloseable {
  private final List<Handler> handlers;
  private final SecretSource secrets;
  private final LeaderElected leader;

  private KubernetesControlPlane(
      List<Handler> handlers, SecretSource secrets, LeaderElected leader) {
    this.handlers = handlers;
    this.secrets = secrets;
    this.leader = leader;
  }

  /**
   * @param events told of every key issued or revoked (drop caches, republish xDS)
   */
  public static KubernetesControlPlane start(
      KubernetesClient client,
      KubernetesSettings settings,
      KeyStore keys,
      BudgetStore budgets,
      Ledger ledger,
      Clock clock,
      KeyEvents events)
      throws IOException {
    return start(client, settings, keys, budgets, ledger, Optional.empty(), clock, events);
  }

  /**
   * As above, writing a row into {@code audit} for every key policy the operator changes in place.
   */
  public static KubernetesControlPlane start(
      KubernetesClient client,
      KubernetesSettings settings,
      KeyStore keys,
      BudgetStore budgets,
      Ledger ledger,
      Optional<AuditLog> audit,
      Clock clock,
      KeyEvents events)
      throws IOException {
    Objects.requireNonNull(client);
    PolicyResolver policies = new PolicyResolver(client);
    KeyIssuer issuer = new KeyIssuer(keys, clock, events);
    audit.ifPresent(a -> issuer.withAudit(new KeyChangeAudit(a)));
    PodInjector injector =
        new PodInjector(
            settings.sidecar(),
            (ns, name) ->
                Optional.ofNullable(
                    client.resources(SpendPolicy.class).inNamespace(ns).withName(name).get()));
    PodKeyExchange exchange =
        new PodKeyExchange(client, new TokenReviewer(client), policies, issuer, keys);
    SecretSource secrets =
        settings.caDir().isPresent()
            ? new VendorCertificates(
                ClusterCa.load(settings.caDir().get()),
                settings.sidecar().vendorHosts(),
                settings.vendorCertificateLifetime())
            : SecretSource.NONE;
    VaultKeyReconciler vaultKeys = new VaultKeyReconciler(client, policies, issuer, ledger);
    SpendBudgetReconciler budgetReconciler =
        new SpendBudgetReconciler(client, budgets, ledger, clock, settings.namespace());
    LeaderElected leader =
        new LeaderElected(
                client,
                settings.namespace(),
                settings.podName(),
                () -> {
                  KeybrakeOperator operator =
                      new KeybrakeOperator(client, vaultKeys, budgetReconciler, settings.resync())
                          .followPodKeys(new PodKeyPolicies(policies, issuer, keys))
                          .renderVendorSpecs(
                              new io.keybrake.operator.reconcile.VendorSpecReconciler(
                                  client, clock, settings.namespace()))
                          .start();
                  PodKeyRevoker revoker = new PodKeyRevoker(client, keys, issuer).start();
                  return () -> {
                    revoker.close();
                    operator.close();
                  };
                })
            .start();
    return new KubernetesControlPlane(
        List.of(new AdmissionHandler(injector), new PodKeyHandler(exchange)), secrets, leader);
  }

  /** The webhook and token exchange handlers, for the HTTPS connector (port 8443). */
  public List<Handler> handlers() {
    return handlers;
  }

  /** The vendor-host certificates for {@code KeybrakeSnapshots}; none without a CA. */
  public SecretSource secrets() {
    return secrets;
  }

  public boolean isLeading() {
    return leader.isLeading();
  }

  @Override
  public void close() {
    leader.close();
  }
}
