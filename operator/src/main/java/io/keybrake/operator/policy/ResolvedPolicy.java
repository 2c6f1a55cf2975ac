package io.keybrake.operator.policy;

import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.operator.crd.Injection;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code SpendPolicy} ready to issue keys under: the validated core policy, the vendor, the real
 * credential (memory only), the labels and how injected pods see the key. {@link #digest} names
 * everything a key depends on, so a key is re-issued exactly when one of them changes. Immutable;
 * {@link #toString()} hides the credential.
 *
 * @param namespace the policy's namespace
 * @param name the policy's name
 * @param generation the policy's {@code metadata.generation}
 * @param digest SHA-256 (hex) over the policy JSON, vendor, labels and credential
 */
public record ResolvedPolicy(
    String namespace,
    String name,
    long generation,
    String vendor,
    Policy policy,
    VendorCredential credential,
    Map<String, String> labels,
    Injection injection,
    String digest) {

  public ResolvedPolicy {
    Objects.requireNonNull(namespace);
    Objects.requireNonNull(name);
    Objects.requireNonNull(vendor);
    Objects.requireNonNull(policy);
    Objects.requireNonNull(credential);
    labels = Map.copyOf(labels);
    Objects.requireNonNull(injection);
    Objects.requireNonNull(digest);
  }

  @Override
  public String toString() {
    return "ResolvedPolicy[" + namespace + "/" + name + ", vendor=" + vendor + "]";
  }
}
