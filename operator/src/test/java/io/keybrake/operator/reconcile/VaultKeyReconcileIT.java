package io.keybrake.operator.reconcile;

import static io.keybrake.operator.K8sFixtures.PLATFORM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.controlplane.xds.KeybrakeSnapshots;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.money.Micros;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.operator.K8sFixtures;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.crd.VaultKey;
import io.keybrake.operator.crd.VaultKeySpec;
import io.keybrake.operator.crd.VaultKeyStatus;
import io.keybrake.operator.keys.KeyChangeAudit;
import io.keybrake.operator.keys.KeyEvents;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.store.EmbeddedStore;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reconcile loop against fabric8's mock API server in CRUD mode and a real embedded store. */
@EnableKubernetesMockClient(crud = true)
class VaultKeyReconcileIT {
  static final String NS = "team-a";
  static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesClient client;
  @TempDir Path data;
  MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  EmbeddedStore store;
  VaultKeyReconciler reconciler;
  SpendBudgetReconciler budgets;
  KeybrakeOperator operator;

  @BeforeEach
  void start() {
    store = EmbeddedStore.open(data, Optional.empty(), clock);
    reconciler =
        new VaultKeyReconciler(
            client,
            new PolicyResolver(client),
            new KeyIssuer(store.keyStore(), clock, KeyEvents.NONE)
                .withAudit(new KeyChangeAudit(store.auditLog())),
            store.ledger());
    budgets =
        new SpendBudgetReconciler(client, store.budgetStore(), store.ledger(), clock, PLATFORM);
    K8sFixtures.twilioCredential(client);
    K8sFixtures.policy(client, NS, "sms-agents", "5.00");
    operator = new KeybrakeOperator(client, reconciler, budgets, Duration.ofMinutes(10)).start();
  }

  @AfterEach
  void stop() {
    operator.close();
    store.close();
  }

  @Test
  void vaultKeyLifecycleFollowsTheCustomResources() {
    createVaultKey("batch-job");

    // created: a Secret with a working key, status Active
    VaultKey active = awaitPhase("batch-job", VaultKeyStatus.ACTIVE);
    String secret = vaultKeyIn("batch-job-vault-key");
    KeyRecord key = store.keyStore().findBySecretHash(VaultKeys.hash(secret)).orElseThrow();
    assertThat(key.id()).isEqualTo(active.getStatus().getKeyId());
    assertThat(key.isRevoked()).isFalse();
    assertThat(key.vendor()).isEqualTo("twilio");
    assertThat(key.policy().dailyCapMicros()).isEqualTo(5_000_000L);
    assertThat(key.policy().allowedCountries()).containsExactly("US");
    assertThat(key.expiresAt()).contains(key.createdAt().plus(Duration.ofHours(8)));
    assertThat(key.labels())
        .containsEntry("team", NS)
        .containsEntry(PolicyResolver.POLICY_LABEL, "sms-agents");
    assertThat(routedKeyIds()).contains(key.id());
    assertThat(active.getStatus().getCapUsd()).isEqualTo("5.00");
    assertThat(active.getStatus().getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
        .containsExactly("Accepted=True/Valid", "Ready=True/KeyActive");

    // a restart: the operator stops, a new one reconciles the same objects; nothing changes
    operator.close();
    store
        .ledger()
        .reserve(
            new ReserveRequest(
                "r1",
                key.id(),
                KeyBudgets.limitsFor(key, clock.instant()),
                1_250_000L,
                clock.instant()));
    // spend in the ledger shows in the status at the next reconcile
    reconciler.reconcile(NS, "batch-job");
    VaultKeyStatus spent = get("batch-job").getStatus();
    assertThat(spent.getSpentUsd()).isEqualTo("1.25");
    assertThat(spent.getRemainingUsd()).isEqualTo("3.75");

    reconciler.reconcile(NS, "batch-job");
    assertThat(vaultKeyIn("batch-job-vault-key")).isEqualTo(secret);
    assertThat(store.keyStore().list()).hasSize(1);
    operator = new KeybrakeOperator(client, reconciler, budgets, Duration.ofMinutes(10)).start();

    // the policy changes: the same key (same id, same Secret value) follows the new rules; a
    // destination it could reach before is now refused
    assertThat(key.policy().allowedCountries()).containsExactly("US");
    client
        .resources(SpendPolicy.class)
        .inNamespace(NS)
        .withName("sms-agents")
        .edit(
            p -> {
              p.getSpec().setDailyUsdCap("7.50");
              p.getSpec().setAllowedCountries(List.of("CA"));
              return p;
            });
    await()
        .atMost(WAIT)
        .until(
            () ->
                store.keyStore().findById(key.id()).orElseThrow().policy().dailyCapMicros()
                    == Micros.fromUsd(new BigDecimal("7.50")));
    KeyRecord updated = store.keyStore().findBySecretHash(VaultKeys.hash(secret)).orElseThrow();
    assertThat(updated.id()).isEqualTo(key.id());
    assertThat(updated.isRevoked()).isFalse();
    assertThat(updated.policy().allowedCountries()).containsExactly("CA"); // US now refused
    assertThat(updated.expiresAt()).isEqualTo(key.expiresAt());
    assertThat(vaultKeyIn("batch-job-vault-key")).isEqualTo(secret);
    assertThat(store.keyStore().list()).hasSize(1); // nothing re-issued
    await()
        .atMost(WAIT)
        .until(
            () -> {
              VaultKeyStatus st = get("batch-job").getStatus();
              return "7.50".equals(st.getCapUsd()) && key.id().equals(st.getKeyId());
            });
    assertThat(routedKeyIds()).contains(key.id());
    // reconciling again changes nothing (the Secret records the digest it follows)
    reconciler.reconcile(NS, "batch-job");
    assertThat(store.keyStore().list()).hasSize(1);
    // the change is in the audit log, once, naming the key and the policy
    assertThat(
            store
                .auditLog()
                .query(
                    new AuditQuery(Optional.of(key.id()), Optional.empty(), Optional.empty(), 10)))
        .extracting(r -> r.entry().reason() + " " + r.entry().endpoint())
        .containsExactly("key_policy_changed SpendPolicy team-a/sms-agents");

    // a change a key cannot follow in place (its expiry) issues a new key, the old one revoked
    client
        .resources(SpendPolicy.class)
        .inNamespace(NS)
        .withName("sms-agents")
        .edit(
            p -> {
              p.getSpec().setExpiresIn("2h");
              return p;
            });
    await().atMost(WAIT).until(() -> !vaultKeyIn("batch-job-vault-key").equals(secret));
    String renewed = vaultKeyIn("batch-job-vault-key");
    KeyRecord newKey = store.keyStore().findBySecretHash(VaultKeys.hash(renewed)).orElseThrow();
    assertThat(newKey.expiresAt()).contains(newKey.createdAt().plus(Duration.ofHours(2)));
    assertThat(store.keyStore().findById(key.id()).orElseThrow().isRevoked()).isTrue();
    await().atMost(WAIT).until(() -> newKey.id().equals(get("batch-job").getStatus().getKeyId()));
    assertThat(routedKeyIds()).contains(newKey.id()).doesNotContain(key.id());

    // deleted: the key is revoked (so Envoy's routes answer 401), the VaultKey goes
    client.resources(VaultKey.class).inNamespace(NS).withName("batch-job").delete();
    await()
        .atMost(WAIT)
        .until(() -> store.keyStore().findById(newKey.id()).orElseThrow().isRevoked());
    assertThat(routedKeyIds()).doesNotContain(newKey.id());
    await().atMost(WAIT).until(() -> get("batch-job") == null);
  }

  @Test
  void aMissingPolicyIsReportedAndIssuesNothing() {
    VaultKey vk = new VaultKey();
    vk.setMetadata(new ObjectMetaBuilder().withName("orphan").withNamespace(NS).build());
    VaultKeySpec spec = new VaultKeySpec();
    spec.setPolicy("no-such-policy");
    vk.setSpec(spec);
    client.resources(VaultKey.class).inNamespace(NS).resource(vk).create();

    VaultKey pending = awaitPhase("orphan", VaultKeyStatus.PENDING);
    assertThat(pending.getStatus().getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
        .containsExactly("Accepted=False/PolicyNotFound", "Ready=False/PolicyNotFound");
    assertThat(client.secrets().inNamespace(NS).withName("orphan-vault-key").get()).isNull();
    assertThat(store.keyStore().list()).isEmpty();
  }

  @Test
  void aPolicyTheParserRefusesIsReportedWithTheField() {
    client
        .resources(SpendPolicy.class)
        .inNamespace(NS)
        .withName("sms-agents")
        .edit(
            p -> {
              p.getSpec().setAllowedCountries(List.of("ZZ"));
              return p;
            });
    createVaultKey("bad");
    VaultKey pending = awaitPhase("bad", VaultKeyStatus.PENDING);
    assertThat(pending.getStatus().getConditions().get(0).getReason()).isEqualTo("InvalidPolicy");
    assertThat(pending.getStatus().getConditions().get(0).getMessage())
        .startsWith("allowed_countries");
    assertThat(store.keyStore().list()).isEmpty();
  }

  private void createVaultKey(String name) {
    VaultKey vk = new VaultKey();
    vk.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    VaultKeySpec spec = new VaultKeySpec();
    spec.setPolicy("sms-agents");
    vk.setSpec(spec);
    client.resources(VaultKey.class).inNamespace(NS).resource(vk).create();
  }

  private VaultKey awaitPhase(String name, String phase) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              VaultKey vk = get(name);
              return vk != null
                  && vk.getStatus() != null
                  && phase.equals(vk.getStatus().getPhase());
            });
    return get(name);
  }

  private VaultKey get(String name) {
    return client.resources(VaultKey.class).inNamespace(NS).withName(name).get();
  }

  private String vaultKeyIn(String secretName) {
    Secret s = client.secrets().inNamespace(NS).withName(secretName).get();
    return s == null ? "" : K8sFixtures.unb64(s.getData().get(VaultKeyReconciler.SECRET_KEY));
  }

  /** The key ids the xDS snapshot gives a route; any other key gets Envoy's 401 route. */
  private List<String> routedKeyIds() {
    return KeybrakeSnapshots.activeAt(store.keyStore().list(), clock.instant()).stream()
        .map(KeyRecord::id)
        .toList();
  }
}
