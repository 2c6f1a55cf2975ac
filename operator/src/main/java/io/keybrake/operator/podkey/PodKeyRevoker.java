package io.keybrake.operator.podkey;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.operator.admission.PodInjector;
import io.keybrake.operator.keys.KeyIssuer;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revokes a pod's vault keys when the pod is deleted: a pod informer over injected pods (label
 * {@code keybrake.dev/injected}), plus a sweep at start that revokes keys whose pod is gone
 * (deleted while no replica was leading). Run on the leader only. Thread-safe.
 */
public final class PodKeyRevoker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PodKeyRevoker.class);

  private final KubernetesClient client;
  private final KeyStore keys;
  private final KeyIssuer issuer;
  private volatile SharedIndexInformer<Pod> informer;

  public PodKeyRevoker(KubernetesClient client, KeyStore keys, KeyIssuer issuer) {
    this.client = Objects.requireNonNull(client);
    this.keys = Objects.requireNonNull(keys);
    this.issuer = Objects.requireNonNull(issuer);
  }

  public PodKeyRevoker start() {
    informer =
        client
            .pods()
            .inAnyNamespace()
            .withLabel(PodInjector.INJECTED_ANNOTATION, "true")
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {}

                  @Override
                  public void onUpdate(Pod oldPod, Pod newPod) {}

                  @Override
                  public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                    revokeKeysOf(pod.getMetadata().getUid());
                  }
                },
                0);
    sweep();
    return this;
  }

  /** Revokes every active pod-bound key whose pod the informer does not know. */
  public void sweep() {
    Set<String> live =
        informer.getStore().list().stream()
            .map(p -> p.getMetadata().getUid())
            .collect(Collectors.toSet());
    for (KeyRecord k : keys.list()) {
      String uid = k.labels().get(PodKeyExchange.POD_UID_LABEL);
      if (uid != null && !k.isRevoked() && !live.contains(uid)) {
        LOG.info("k8s: pod {} is gone; revoking its key {}", uid, k.id());
        issuer.revoke(k.id());
      }
    }
  }

  void revokeKeysOf(String podUid) {
    for (KeyRecord k : keys.list()) {
      if (podUid.equals(k.labels().get(PodKeyExchange.POD_UID_LABEL)) && !k.isRevoked()) {
        LOG.info("k8s: pod {} deleted; revoking its key {}", podUid, k.id());
        issuer.revoke(k.id());
      }
    }
  }

  @Override
  public void close() {
    SharedIndexInformer<Pod> i = informer;
    if (i != null) {
      i.close();
    }
  }
}
