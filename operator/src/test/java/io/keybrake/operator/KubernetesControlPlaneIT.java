package io.keybrake.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.operator.crd.VaultKey;
import io.keybrake.operator.crd.VaultKeySpec;
import io.keybrake.operator.crd.VaultKeyStatus;
import io.keybrake.operator.keys.KeyEvents;
import io.keybrake.store.EmbeddedStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The assembled Kubernetes part of a control plane: it leads, reconciles and serves. */
@EnableKubernetesMockClient(crud = true)
class KubernetesControlPlaneIT {
  KubernetesClient client;
  @TempDir Path data;

  @Test
  void aReplicaFromTheEnvironmentLeadsAndIssuesVaultKeys() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
    KubernetesSettings settings =
        ((KubernetesSettings.Parsed.Ok)
                KubernetesSettings.fromEnv(
                    Map.of(
                        "KEYBRAKE_K8S_NAMESPACE",
                        K8sFixtures.PLATFORM,
                        "KEYBRAKE_K8S_POD_NAME",
                        "keybrake-control-plane-0")))
            .settings();
    try (EmbeddedStore store = EmbeddedStore.open(data, Optional.empty(), clock);
        KubernetesControlPlane k8s =
            KubernetesControlPlane.start(
                client,
                settings,
                store.keyStore(),
                store.budgetStore(),
                store.ledger(),
                clock,
                KeyEvents.NONE)) {
      assertThat(k8s.handlers()).hasSize(2);
      await().atMost(Duration.ofSeconds(60)).until(k8s::isLeading);

      K8sFixtures.twilioCredential(client);
      K8sFixtures.policy(client, "team-a", "sms-agents", "5.00");
      VaultKey vk = new VaultKey();
      vk.setMetadata(new ObjectMetaBuilder().withName("job").withNamespace("team-a").build());
      VaultKeySpec spec = new VaultKeySpec();
      spec.setPolicy("sms-agents");
      vk.setSpec(spec);
      client.resources(VaultKey.class).inNamespace("team-a").resource(vk).create();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                VaultKey v =
                    client.resources(VaultKey.class).inNamespace("team-a").withName("job").get();
                return v.getStatus() != null
                    && VaultKeyStatus.ACTIVE.equals(v.getStatus().getPhase());
              });
      assertThat(store.keyStore().list()).hasSize(1);
    }
  }

  @Test
  void missingOrBadSettingsAreAllNamed() {
    KubernetesSettings.Parsed p =
        KubernetesSettings.fromEnv(Map.of("KEYBRAKE_K8S_INJECTION_MODE", "magic"));
    assertThat(p).isInstanceOf(KubernetesSettings.Parsed.Invalid.class);
    assertThat(((KubernetesSettings.Parsed.Invalid) p).problems())
        .hasSize(3)
        .anySatisfy(s -> assertThat(s).startsWith("KEYBRAKE_K8S_NAMESPACE"))
        .anySatisfy(s -> assertThat(s).startsWith("KEYBRAKE_K8S_POD_NAME"))
        .anySatisfy(s -> assertThat(s).startsWith("KEYBRAKE_K8S_INJECTION_MODE"));
  }
}
