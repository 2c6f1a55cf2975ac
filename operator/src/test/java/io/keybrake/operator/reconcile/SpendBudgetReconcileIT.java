package io.keybrake.operator.reconcile;

import static io.keybrake.operator.K8sFixtures.PLATFORM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.core.budget.Budget;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.operator.crd.BudgetSelector;
import io.keybrake.operator.crd.SpendBudget;
import io.keybrake.operator.crd.SpendBudgetSpec;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.store.EmbeddedStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SpendBudgets become registry budgets, narrowed to their namespace. */
@EnableKubernetesMockClient(crud = true)
class SpendBudgetReconcileIT {
  KubernetesClient client;
  @TempDir Path data;
  MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  EmbeddedStore store;
  SpendBudgetReconciler reconciler;

  @BeforeEach
  void start() {
    store = EmbeddedStore.open(data, Optional.empty(), clock);
    reconciler =
        new SpendBudgetReconciler(client, store.budgetStore(), store.ledger(), clock, PLATFORM);
  }

  @AfterEach
  void stop() {
    store.close();
  }

  @Test
  void aLabelBudgetCoversOnlyItsOwnNamespace() {
    create("team-a", "fleet", Map.of("team", "team-a"), null, "100.00");
    reconciler.reconcile("team-a", "fleet");
    reconciler.reconcile("team-a", "fleet"); // idempotent

    assertThat(store.budgetStore().list()).hasSize(1);
    Budget b = store.budgetStore().list().get(0);
    assertThat(b.name()).isEqualTo("k8s.team-a.fleet");
    assertThat(b.labels())
        .isEqualTo(Map.of("team", "team-a", PolicyResolver.NAMESPACE_LABEL, "team-a"));
    assertThat(b.covers(Map.of("team", "team-a", PolicyResolver.NAMESPACE_LABEL, "team-b"), "x"))
        .isFalse();
    SpendBudget sb =
        client.resources(SpendBudget.class).inNamespace("team-a").withName("fleet").get();
    assertThat(sb.getStatus().getPhase()).isEqualTo("Active");
    assertThat(sb.getStatus().getCapUsd()).isEqualTo("100.00");
    assertThat(sb.getStatus().getSpentUsd()).isEqualTo("0.00");
  }

  @Test
  void aVendorBudgetOutsideThePlatformNamespaceIsRefused() {
    create("team-a", "all-twilio", null, "twilio", "100.00");
    reconciler.reconcile("team-a", "all-twilio");
    SpendBudget sb =
        client.resources(SpendBudget.class).inNamespace("team-a").withName("all-twilio").get();
    await().until(() -> sb.getStatus() != null);
    assertThat(sb.getStatus().getPhase()).isEqualTo("Invalid");
    assertThat(sb.getStatus().getConditions().get(0).getMessage()).contains(PLATFORM);
    assertThat(store.budgetStore().list()).isEmpty();

    create(PLATFORM, "all-twilio", null, "twilio", "100.00");
    reconciler.reconcile(PLATFORM, "all-twilio");
    assertThat(store.budgetStore().list())
        .extracting(Budget::vendor)
        .containsExactly(Optional.of("twilio"));
  }

  private void create(
      String ns, String name, Map<String, String> labels, String vendor, String daily) {
    SpendBudget sb = new SpendBudget();
    sb.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    SpendBudgetSpec spec = new SpendBudgetSpec();
    BudgetSelector sel = new BudgetSelector();
    sel.setLabels(labels);
    sel.setVendor(vendor);
    spec.setSelector(sel);
    spec.setDailyUsdCap(daily);
    sb.setSpec(spec);
    client.resources(SpendBudget.class).inNamespace(ns).resource(sb).create();
  }
}
