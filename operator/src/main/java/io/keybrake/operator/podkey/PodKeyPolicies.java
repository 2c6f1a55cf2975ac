package io.keybrake.operator.podkey;

import io.keybrake.core.key.KeyPage;
import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyState;
import io.keybrake.core.key.KeyStore;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.operator.policy.Resolution;
import io.keybrake.operator.policy.ResolvedPolicy;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the keys of injected pods follow their {@code SpendPolicy}: when the policy changes, every
 * active pod key issued under it takes the new rules in place (same id, same secret in the pod's
 * memory volume), as a VaultKey's key does. A change a key cannot follow in place (vendor,
 * credential, labels, expiry) leaves it as it is until the pod is replaced; the log says so. Keys
 * are found by the labels every pod key carries ({@link PolicyResolver#NAMESPACE_LABEL}, {@link
 * PolicyResolver#POLICY_LABEL}), a page at a time. Thread-safe.
 */
public final class PodKeyPolicies {
  private static final Logger LOG = LoggerFactory.getLogger(PodKeyPolicies.class);
  private static final int PAGE = 200;

  private final PolicyResolver policies;
  private final KeyIssuer issuer;
  private final KeyStore keys;

  public PodKeyPolicies(PolicyResolver policies, KeyIssuer issuer, KeyStore keys) {
    this.policies = Objects.requireNonNull(policies);
    this.issuer = Objects.requireNonNull(issuer);
    this.keys = Objects.requireNonNull(keys);
  }

  /**
   * Applies the current {@code namespace/name} policy to its pods' active keys.
   *
   * @return how many keys changed
   */
  public int policyChanged(String namespace, String name) {
    Resolution resolution = policies.resolve(namespace, name);
    if (!(resolution instanceof Resolution.Resolved resolved)) {
      return 0; // a missing or invalid policy leaves issued keys alone, as for VaultKeys
    }
    ResolvedPolicy policy = resolved.policy();
    int changed = 0;
    Optional<KeyQuery.Position> after = Optional.empty();
    do {
      KeyPage page =
          keys.page(
              new KeyQuery(
                  Map.of(
                      PolicyResolver.NAMESPACE_LABEL, namespace, PolicyResolver.POLICY_LABEL, name),
                  Optional.empty(),
                  Optional.of(KeyState.ACTIVE),
                  after,
                  PAGE,
                  issuer.now()));
      for (KeyRecord k : page.keys()) {
        if (!k.labels().containsKey(PodKeyExchange.POD_UID_LABEL)
            || k.policy().equals(policy.policy())) {
          continue;
        }
        if (KeyIssuer.canUpdateInPlace(k, policy)) {
          issuer.updatePolicy(k.id(), policy);
          changed++;
        } else {
          LOG.warn(
              "k8s: pod key {} cannot follow {} in place (vendor, credential, labels or expiry"
                  + " changed); it keeps its rules until its pod is replaced",
              k.id(),
              policy);
        }
      }
      after = page.next();
    } while (after.isPresent());
    return changed;
  }
}
