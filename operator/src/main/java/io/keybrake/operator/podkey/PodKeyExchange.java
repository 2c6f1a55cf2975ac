package io.keybrake.operator.podkey;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.operator.admission.PodInjector;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.operator.policy.Resolution;
import io.keybrake.operator.policy.ResolvedPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Exchanges a pod's projected ServiceAccount token for a vault key bound to that pod. The token
 * must pass a TokenReview for audience {@code keybrake} and name a pod that exists with the same
 * uid; the pod's {@code keybrake.dev/policy} annotation (own namespace only) picks the policy. A
 * pod holds at most one active key: exchanging again (the init step restarted) revokes the earlier
 * one. The key carries the pod's uid as a label, so {@link PodKeyRevoker} revokes it when the pod
 * goes. Thread-safe.
 */
public final class PodKeyExchange {
  /** Label of a pod-bound key: the pod's uid. */
  public static final String POD_UID_LABEL = "keybrake.dev/pod-uid";

  /** Label of a pod-bound key: the pod's name. */
  public static final String POD_NAME_LABEL = "keybrake.dev/pod";

  private final KubernetesClient client;
  private final TokenReviewer reviewer;
  private final PolicyResolver policies;
  private final KeyIssuer issuer;
  private final KeyStore keys;

  public PodKeyExchange(
      KubernetesClient client,
      TokenReviewer reviewer,
      PolicyResolver policies,
      KeyIssuer issuer,
      KeyStore keys) {
    this.client = Objects.requireNonNull(client);
    this.reviewer = Objects.requireNonNull(reviewer);
    this.policies = Objects.requireNonNull(policies);
    this.issuer = Objects.requireNonNull(issuer);
    this.keys = Objects.requireNonNull(keys);
  }

  /** What an exchange gave. */
  public sealed interface Outcome {
    /** The vault key (shown once) and its id. */
    record Issued(String vaultKey, KeyRecord key) implements Outcome {
      @Override
      public String toString() {
        return "Issued[" + key.id() + "]";
      }
    }

    /** Nothing issued; {@code message} never holds the token. */
    record Refused(int status, String code, String message) implements Outcome {}
  }

  public synchronized Outcome exchange(String token) {
    Optional<PodIdentity> who = reviewer.review(token);
    if (who.isEmpty()) {
      return new Outcome.Refused(
          401,
          "token_rejected",
          "the token is not a valid projected ServiceAccount token for audience keybrake bound"
              + " to a pod");
    }
    PodIdentity id = who.get();
    Pod pod = client.pods().inNamespace(id.namespace()).withName(id.podName()).get();
    if (pod == null || !id.podUid().equals(pod.getMetadata().getUid())) {
      return new Outcome.Refused(401, "pod_not_found", "the token's pod no longer exists");
    }
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String ref = annotations == null ? null : annotations.get(PodInjector.POLICY_ANNOTATION);
    if (ref == null || ref.isBlank()) {
      return new Outcome.Refused(
          403, "no_policy", "the pod has no " + PodInjector.POLICY_ANNOTATION + " annotation");
    }
    int slash = ref.indexOf('/');
    if (slash >= 0 && !ref.substring(0, slash).equals(id.namespace())) {
      return new Outcome.Refused(
          403, "policy_not_allowed", "a pod may only use a SpendPolicy of its own namespace");
    }
    String policyName = slash >= 0 ? ref.substring(slash + 1) : ref;
    Resolution resolution = policies.resolve(id.namespace(), policyName);
    if (resolution instanceof Resolution.Refused r) {
      return new Outcome.Refused(403, "policy_unusable", r.reason() + ": " + r.message());
    }
    ResolvedPolicy policy = ((Resolution.Resolved) resolution).policy();
    for (KeyRecord earlier : activeKeysOf(id.podUid(), issuer.now())) {
      issuer.revoke(earlier.id());
    }
    String secret = VaultKeys.newSecret();
    KeyRecord key =
        issuer.ensure(
            VaultKeys.newKeyId(),
            secret,
            "k8s-pod:" + id.namespace() + "/" + id.podName(),
            policy,
            Map.of(POD_UID_LABEL, id.podUid(), POD_NAME_LABEL, id.podName()),
            issuer.now());
    return new Outcome.Issued(secret, key);
  }

  /** Every key bound to the pod {@code podUid} that is neither revoked nor expired. */
  List<KeyRecord> activeKeysOf(String podUid, Instant now) {
    return keys.list().stream()
        .filter(k -> podUid.equals(k.labels().get(POD_UID_LABEL)))
        .filter(k -> !k.isRevoked() && !k.isExpiredAt(now))
        .toList();
  }
}
