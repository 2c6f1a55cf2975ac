package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keybrake.operator.crd.SpendBudget;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.crd.VaultKey;
import io.keybrake.operator.crd.VendorCredential;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Watches the Keybrake kinds with fabric8 informers and feeds their reconcilers: a VaultKey is
 * reconciled when it changes, when its SpendPolicy or any VendorCredential changes, and at every
 * resync (which refreshes the spend in its status). Run it only on the leader ({@link
 * LeaderElected}). {@link #start()} once, {@link #close()} to stop; thread-safe.
 */
public final class KeybrakeOperator implements AutoCloseable {
  private final KubernetesClient client;
  private final VaultKeyReconciler vaultKeys;
  private final SpendBudgetReconciler budgets;
  private final Duration resync;
  private final ReconcileQueue keyQueue;
  private final ReconcileQueue budgetQueue;
  private volatile ReconcileQueue podKeyQueue; // set before start, when pod keys follow policies
  private volatile ReconcileQueue vendorSpecQueue; // set before start, when VendorSpecs render
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private volatile SharedIndexInformer<VaultKey> keyInformer;

  /**
   * @param resync how often every object is reconciled again (status spend refresh)
   */
  public KeybrakeOperator(
      KubernetesClient client,
      VaultKeyReconciler vaultKeys,
      SpendBudgetReconciler budgets,
      Duration resync) {
    this.client = Objects.requireNonNull(client);
    this.vaultKeys = Objects.requireNonNull(vaultKeys);
    this.budgets = Objects.requireNonNull(budgets);
    this.resync = Objects.requireNonNull(resync);
    this.keyQueue = new ReconcileQueue("vaultkey", this::reconcileKey, Duration.ofSeconds(2));
    this.budgetQueue =
        new ReconcileQueue("spendbudget", this::reconcileBudget, Duration.ofSeconds(2));
  }

  /**
   * Makes the keys of injected pods follow their SpendPolicy's changes too (call before {@link
   * #start()}).
   */
  public KeybrakeOperator followPodKeys(io.keybrake.operator.podkey.PodKeyPolicies podKeys) {
    Objects.requireNonNull(podKeys);
    podKeyQueue =
        new ReconcileQueue(
            "podkeys",
            nn -> {
              String[] parts = nn.split("/", 2);
              podKeys.policyChanged(parts[0], parts[1]);
            },
            Duration.ofSeconds(2));
    return this;
  }

  /**
   * Renders VendorSpecs into the vendor ConfigMap whenever one changes (call before {@link
   * #start()}).
   */
  public KeybrakeOperator renderVendorSpecs(VendorSpecReconciler vendorSpecs) {
    Objects.requireNonNull(vendorSpecs);
    vendorSpecQueue =
        new ReconcileQueue("vendorspecs", all -> vendorSpecs.reconcile(), Duration.ofSeconds(2));
    return this;
  }

  public KeybrakeOperator start() {
    ReconcileQueue specs = vendorSpecQueue;
    if (specs != null) {
      informers.add(
          client
              .resources(io.keybrake.operator.crd.VendorSpecResource.class)
              .inAnyNamespace()
              .inform(handler(vs -> specs.enqueue("all"), vs -> specs.enqueue("all")), 0));
      specs.enqueue("all"); // also when there is none left: the ConfigMap is emptied
    }
    keyInformer =
        client
            .resources(VaultKey.class)
            .inAnyNamespace()
            .inform(
                handler(
                    vk -> keyQueue.enqueue(name(vk)),
                    vk -> {
                      vaultKeys.deleted(vk);
                    }),
                resync.toMillis());
    informers.add(keyInformer);
    informers.add(
        client
            .resources(SpendPolicy.class)
            .inAnyNamespace()
            .inform(handler(this::policyChanged, this::policyChanged), resync.toMillis()));
    informers.add(
        client
            .resources(VendorCredential.class)
            .inAnyNamespace()
            .inform(handler(vc -> everyKey(), vc -> everyKey()), 0));
    informers.add(
        client
            .resources(SpendBudget.class)
            .inAnyNamespace()
            .inform(
                handler(b -> budgetQueue.enqueue(name(b)), budgets::deleted), resync.toMillis()));
    return this;
  }

  private void policyChanged(SpendPolicy p) {
    ReconcileQueue pods = podKeyQueue;
    if (pods != null) {
      pods.enqueue(name(p));
    }
    SharedIndexInformer<VaultKey> keys = keyInformer;
    if (keys == null) {
      return;
    }
    for (VaultKey vk : keys.getStore().list()) {
      if (Objects.equals(vk.getMetadata().getNamespace(), p.getMetadata().getNamespace())
          && vk.getSpec() != null
          && Objects.equals(vk.getSpec().getPolicy(), p.getMetadata().getName())) {
        keyQueue.enqueue(name(vk));
      }
    }
  }

  private void everyKey() {
    SharedIndexInformer<VaultKey> keys = keyInformer;
    if (keys != null) {
      keys.getStore().list().forEach(vk -> keyQueue.enqueue(name(vk)));
    }
  }

  private void reconcileKey(String namespacedName) {
    String[] nn = namespacedName.split("/", 2);
    vaultKeys.reconcile(nn[0], nn[1]);
  }

  private void reconcileBudget(String namespacedName) {
    String[] nn = namespacedName.split("/", 2);
    budgets.reconcile(nn[0], nn[1]);
  }

  private static String name(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  private static <T extends HasMetadata> ResourceEventHandler<T> handler(
      Consumer<T> changed, Consumer<T> deleted) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        changed.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        deleted.accept(obj);
      }
    };
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
    keyQueue.close();
    budgetQueue.close();
    ReconcileQueue pods = podKeyQueue;
    if (pods != null) {
      pods.close();
    }
    ReconcileQueue specs = vendorSpecQueue;
    if (specs != null) {
      specs.close();
    }
  }
}
