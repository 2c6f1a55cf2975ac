package io.keybrake.operator.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Two replicas, one Lease: exactly one runs the operator, and the other takes over. */
@EnableKubernetesMockClient(crud = true)
class LeaderElectedIT {
  KubernetesClient client;

  @Test
  void oneReplicaLeadsAndTheOtherTakesOverWhenItGoes() {
    AtomicInteger running = new AtomicInteger();
    AutoCloseable work = running::decrementAndGet;
    LeaderElected a =
        new LeaderElected(
            client,
            "keybrake",
            "replica-a",
            () -> {
              running.incrementAndGet();
              return work;
            });
    LeaderElected b =
        new LeaderElected(
            client,
            "keybrake",
            "replica-b",
            () -> {
              running.incrementAndGet();
              return work;
            });
    a.start();
    await().atMost(Duration.ofSeconds(30)).until(a::isLeading);
    b.start();
    Lease lease = client.leases().inNamespace("keybrake").withName(LeaderElected.LEASE).get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("replica-a");
    assertThat(b.isLeading()).isFalse();
    assertThat(running).hasValue(1);

    a.close(); // releases the lease on the way out
    await().atMost(Duration.ofSeconds(60)).until(b::isLeading);
    assertThat(running).hasValue(1);
    assertThat(
            client
                .leases()
                .inNamespace("keybrake")
                .withName(LeaderElected.LEASE)
                .get()
                .getSpec()
                .getHolderIdentity())
        .isEqualTo("replica-b");
    b.close();
    assertThat(running).hasValue(0);
  }
}
