package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.operator.crd.KeybrakeStatus;
import io.keybrake.operator.crd.VaultKey;
import io.keybrake.operator.crd.VaultKeyStatus;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.operator.policy.Resolution;
import io.keybrake.operator.policy.ResolvedPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the registry hold what a {@link VaultKey} asks for. Idempotent: the key's id, secret,
 * policy digest and issue time live in the Secret the VaultKey owns, which is written before the
 * registry is; a retry after any crash finds them there and completes the same key instead of
 * issuing another. A policy change (digest differs) issues a new key into the Secret and revokes
 * the old one. Deletion revokes the key, guarded by a finalizer. Safe to call from one thread at a
 * time per VaultKey (the {@link ReconcileQueue} guarantees it).
 */
public final class VaultKeyReconciler {
  public static final String FINALIZER = "keybrake.dev/revoke-key";

  /** The Secret's data key holding the vault key. */
  public static final String SECRET_KEY = "vault_key";

  public static final String KEY_ID_ANNOTATION = "keybrake.dev/key-id";
  static final String DIGEST_ANNOTATION = "keybrake.dev/policy-digest";
  static final String ISSUED_AT_ANNOTATION = "keybrake.dev/issued-at";

  private static final Logger LOG = LoggerFactory.getLogger(VaultKeyReconciler.class);

  private final KubernetesClient client;
  private final PolicyResolver policies;
  private final KeyIssuer issuer;
  private final Ledger ledger;

  public VaultKeyReconciler(
      KubernetesClient client, PolicyResolver policies, KeyIssuer issuer, Ledger ledger) {
    this.client = Objects.requireNonNull(client);
    this.policies = Objects.requireNonNull(policies);
    this.issuer = Objects.requireNonNull(issuer);
    this.ledger = Objects.requireNonNull(ledger);
  }

  public void reconcile(String namespace, String name) {
    VaultKey vk = client.resources(VaultKey.class).inNamespace(namespace).withName(name).get();
    if (vk == null) {
      return;
    }
    if (vk.getMetadata().getDeletionTimestamp() != null) {
      finish(vk);
      return;
    }
    if (!vk.hasFinalizer(FINALIZER)) {
      vk =
          client
              .resources(VaultKey.class)
              .inNamespace(namespace)
              .withName(name)
              .edit(
                  v -> {
                    v.addFinalizer(FINALIZER);
                    return v;
                  });
    }
    VaultKeyStatus status = copyOf(vk.getStatus());
    long generation = generation(vk);
    Instant now = issuer.now();
    String secretName = secretName(vk);
    status.setSecretName(secretName);
    Resolution resolution = policies.resolve(namespace, vk.getSpec().getPolicy());
    Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
    if (secret != null && !ownedBy(secret, vk)) {
      refuse(vk, status, "SecretConflict", "Secret " + secretName + " exists and is not ours", now);
      return;
    }
    Optional<KeyRecord> current = currentKey(secret);
    if (resolution instanceof Resolution.Refused r) {
      // keep a key already issued: a policy that is briefly missing must not cut agents off
      refuse(vk, status, r.reason(), r.message(), now);
      return;
    }
    ResolvedPolicy policy = ((Resolution.Resolved) resolution).policy();
    Conditions.set(
        status,
        KeybrakeStatus.ACCEPTED,
        true,
        "Valid",
        "policy " + policy.name() + " resolved",
        generation,
        now);
    KeyRecord key;
    boolean inactive =
        current.isPresent() && (current.get().isRevoked() || current.get().isExpiredAt(now));
    if (secret != null && digest(secret).equals(policy.digest())) {
      key = complete(vk, secret, policy);
    } else if (inactive) {
      key = current.get(); // revoked or expired keys are not renewed by a policy change
    } else if (current.isPresent() && KeyIssuer.canUpdateInPlace(current.get(), policy)) {
      // only the rules changed: the same key (and Secret value) follows the new policy
      key = updateInPlace(secret, current.get(), policy);
    } else {
      key = issue(vk, secret, secretName, policy, now);
      current.filter(old -> !old.id().equals(key.id())).ifPresent(old -> issuer.revoke(old.id()));
    }
    status.setKeyId(key.id());
    status.setExpiresAt(key.expiresAt().map(Instant::toString).orElse(null));
    KeySpend.copy(ledger, key, now, status);
    String phase =
        key.isRevoked()
            ? VaultKeyStatus.REVOKED
            : key.isExpiredAt(now) ? VaultKeyStatus.EXPIRED : VaultKeyStatus.ACTIVE;
    status.setPhase(phase);
    Conditions.set(
        status,
        KeybrakeStatus.READY,
        phase.equals(VaultKeyStatus.ACTIVE),
        phase.equals(VaultKeyStatus.ACTIVE) ? "KeyActive" : "Key" + phase,
        "key " + key.id() + " is " + phase.toLowerCase(java.util.Locale.ROOT),
        generation,
        now);
    writeStatus(vk, status);
  }

  /** Revokes the key of a VaultKey being deleted, then lets it go. */
  private void finish(VaultKey vk) {
    Secret secret =
        client
            .secrets()
            .inNamespace(vk.getMetadata().getNamespace())
            .withName(secretName(vk))
            .get();
    String keyId =
        secret != null && ownedBy(secret, vk)
            ? secret.getMetadata().getAnnotations().get(KEY_ID_ANNOTATION)
            : vk.getStatus() == null ? null : vk.getStatus().getKeyId();
    if (keyId != null) {
      issuer.revoke(keyId);
    }
    if (vk.hasFinalizer(FINALIZER)) {
      client
          .resources(VaultKey.class)
          .inNamespace(vk.getMetadata().getNamespace())
          .withName(vk.getMetadata().getName())
          .edit(
              v -> {
                v.removeFinalizer(FINALIZER);
                return v;
              });
    }
  }

  /**
   * Revokes the key of a VaultKey that is already gone (its finalizer was removed by hand): the
   * last state the informer saw names it.
   */
  public void deleted(VaultKey last) {
    if (last.getStatus() != null && last.getStatus().getKeyId() != null) {
      issuer.revoke(last.getStatus().getKeyId());
    }
  }

  /**
   * Writes a new key into the Secret, then the registry. The write is a create when there was no
   * Secret and an update locked on the version read otherwise, so of two reconciles racing (e.g. at
   * a leader hand-over) one fails with a conflict and retries, and only one key is issued.
   */
  private KeyRecord issue(
      VaultKey vk, Secret previous, String secretName, ResolvedPolicy policy, Instant now) {
    String id = VaultKeys.newKeyId();
    String secretValue = VaultKeys.newSecret();
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(secretName)
            .withNamespace(vk.getMetadata().getNamespace())
            .addToLabels("app.kubernetes.io/managed-by", "keybrake")
            .addToAnnotations(KEY_ID_ANNOTATION, id)
            .addToAnnotations(DIGEST_ANNOTATION, policy.digest())
            .addToAnnotations(ISSUED_AT_ANNOTATION, now.toString())
            .withOwnerReferences(ownerReference(vk))
            .endMetadata()
            .withType("Opaque")
            .addToData(SECRET_KEY, base64(secretValue))
            .build();
    // the Secret first: if we crash after this line, the next reconcile completes this same key
    var secrets = client.secrets().inNamespace(vk.getMetadata().getNamespace());
    if (previous == null) {
      secrets.resource(secret).create();
    } else {
      secret.getMetadata().setResourceVersion(previous.getMetadata().getResourceVersion());
      secrets.resource(secret).update();
    }
    return issuer.ensure(id, secretValue, keyName(vk), policy, Map.of(), now);
  }

  /**
   * Changes the key's policy in the registry, then records the new digest on the Secret (an update
   * locked on the version read). Crashing between the two leaves the old digest: the next reconcile
   * sees a difference and applies the same policy again, which changes nothing.
   */
  private KeyRecord updateInPlace(Secret secret, KeyRecord key, ResolvedPolicy policy) {
    KeyRecord after = issuer.updatePolicy(key.id(), policy).orElse(key);
    Secret updated =
        new SecretBuilder(secret)
            .editMetadata()
            .addToAnnotations(DIGEST_ANNOTATION, policy.digest())
            .endMetadata()
            .build();
    client.secrets().inNamespace(secret.getMetadata().getNamespace()).resource(updated).update();
    return after;
  }

  private KeyRecord complete(VaultKey vk, Secret secret, ResolvedPolicy policy) {
    Map<String, String> a = secret.getMetadata().getAnnotations();
    String value =
        new String(
            Base64.getDecoder().decode(secret.getData().get(SECRET_KEY)), StandardCharsets.UTF_8);
    return issuer.ensure(
        a.get(KEY_ID_ANNOTATION),
        value,
        keyName(vk),
        policy,
        Map.of(),
        Instant.parse(a.get(ISSUED_AT_ANNOTATION)));
  }

  private Optional<KeyRecord> currentKey(Secret secret) {
    if (secret == null || secret.getMetadata().getAnnotations() == null) {
      return Optional.empty();
    }
    String id = secret.getMetadata().getAnnotations().get(KEY_ID_ANNOTATION);
    return id == null ? Optional.empty() : issuer.find(id);
  }

  private void refuse(
      VaultKey vk, VaultKeyStatus status, String reason, String message, Instant now) {
    long generation = generation(vk);
    LOG.info(
        "k8s: VaultKey {}/{} not accepted: {}",
        vk.getMetadata().getNamespace(),
        vk.getMetadata().getName(),
        reason);
    Conditions.set(status, KeybrakeStatus.ACCEPTED, false, reason, message, generation, now);
    Conditions.set(status, KeybrakeStatus.READY, false, reason, message, generation, now);
    if (status.getPhase() == null) {
      status.setPhase(VaultKeyStatus.PENDING);
    }
    writeStatus(vk, status);
  }

  private void writeStatus(VaultKey vk, VaultKeyStatus status) {
    if (StatusJson.same(vk.getStatus(), status)) {
      return; // nothing new: no write, no event, no loop
    }
    vk.setStatus(status);
    vk.getMetadata().setResourceVersion(null); // the status is ours alone: no optimistic lock
    client
        .resources(VaultKey.class)
        .inNamespace(vk.getMetadata().getNamespace())
        .resource(vk)
        .patchStatus();
  }

  static String digest(Secret secret) {
    Map<String, String> a = secret.getMetadata().getAnnotations();
    return a == null || a.get(DIGEST_ANNOTATION) == null ? "" : a.get(DIGEST_ANNOTATION);
  }

  static String secretName(VaultKey vk) {
    String s = vk.getSpec().getSecretName();
    return s != null ? s : vk.getMetadata().getName() + "-vault-key";
  }

  private static String keyName(VaultKey vk) {
    return "k8s:" + vk.getMetadata().getNamespace() + "/" + vk.getMetadata().getName();
  }

  private static boolean ownedBy(Secret secret, VaultKey vk) {
    return secret.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> Objects.equals(o.getUid(), vk.getMetadata().getUid()));
  }

  private static OwnerReference ownerReference(VaultKey vk) {
    return new OwnerReferenceBuilder()
        .withApiVersion(vk.getApiVersion())
        .withKind(vk.getKind())
        .withName(vk.getMetadata().getName())
        .withUid(vk.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static long generation(VaultKey vk) {
    Long g = vk.getMetadata().getGeneration();
    return g == null ? 0 : g;
  }

  private static VaultKeyStatus copyOf(VaultKeyStatus s) {
    return s == null ? new VaultKeyStatus() : StatusJson.copy(s, VaultKeyStatus.class);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
