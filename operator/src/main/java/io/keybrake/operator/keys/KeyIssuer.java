package io.keybrake.operator.keys;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.operator.policy.ResolvedPolicy;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues and revokes vault keys for Kubernetes objects through the registry's {@link KeyStore}
 * port, exactly as the admin API's {@code POST /keys} and {@code DELETE /keys/{id}} do: only the
 * secret's hash is stored, and {@link KeyEvents} is told afterwards. Thread-safe.
 */
public final class KeyIssuer {
  private static final Logger LOG = LoggerFactory.getLogger(KeyIssuer.class);

  private final KeyStore keys;
  private final Clock clock;
  private final KeyEvents events;
  private volatile KeyChangeAudit audit; // null: no audit rows (tests)

  public KeyIssuer(KeyStore keys, Clock clock, KeyEvents events) {
    this.keys = Objects.requireNonNull(keys);
    this.clock = Objects.requireNonNull(clock);
    this.events = Objects.requireNonNull(events);
  }

  /** The current time, truncated to milliseconds as the registry stores it. */
  public Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /**
   * Stores the key {@code id} with the secret {@code secret} under {@code policy}, unless a key
   * with that id exists already (then returns it unchanged): callers pick id and secret first and
   * keep them where a retry finds them, which makes issuing idempotent.
   *
   * @param issuedAt when the key was first issued; the expiry counts from it
   */
  public KeyRecord ensure(
      String id,
      String secret,
      String name,
      ResolvedPolicy policy,
      Map<String, String> extraLabels,
      Instant issuedAt) {
    Optional<KeyRecord> existing = keys.findById(id);
    if (existing.isPresent()) {
      return existing.get();
    }
    Map<String, String> labels = new TreeMap<>(policy.labels());
    labels.putAll(extraLabels);
    KeyRecord key =
        new KeyRecord(
            id,
            name,
            policy.vendor(),
            labels,
            policy.policy(),
            VaultKeys.hash(secret),
            policy.credential(),
            issuedAt,
            policy.policy().expiresIn().map(issuedAt::plus),
            Optional.empty());
    keys.create(key);
    LOG.info("k8s: issued key {} ({}) under {}", id, name, policy);
    try {
      events.created(key);
    } catch (RuntimeException e) {
      LOG.warn("k8s: key {} issued, but listeners were not told: {}", id, e.getMessage());
    }
    return key;
  }

  /** Revokes {@code id} (idempotent); empty if the registry has no such key. */
  public Optional<KeyRecord> revoke(String id) {
    Optional<KeyRecord> revoked = keys.revoke(id, now());
    revoked.ifPresent(
        k -> {
          LOG.info("k8s: revoked key {}", id);
          events.revoked(k);
        });
    return revoked;
  }

  /**
   * Whether {@code key} can take {@code policy} in place: everything but the policy's rules is what
   * the key already has (vendor, credential, the policy's labels, and the expiry its issue time and
   * {@code expires_in} give). Otherwise a new key is needed.
   */
  public static boolean canUpdateInPlace(KeyRecord key, ResolvedPolicy policy) {
    boolean labels =
        key.labels().entrySet().containsAll(policy.labels().entrySet())
            && policy
                .labels()
                .keySet()
                .containsAll(
                    key.labels().keySet().stream()
                        .filter(k -> !k.startsWith("keybrake.dev/"))
                        .toList());
    return key.vendor().equals(policy.vendor())
        && key.credential().equals(policy.credential())
        && labels
        && policy.policy().expiresIn().map(key.createdAt()::plus).equals(key.expiresAt());
  }

  /**
   * Gives the key {@code id} the rules of {@code policy} in place (same id, same secret), unless it
   * is revoked; tells the listeners so caches drop the old rules.
   *
   * @return the key after the change; empty if the registry has no such key
   */
  public Optional<KeyRecord> updatePolicy(String id, ResolvedPolicy policy) {
    Optional<KeyRecord> after = keys.updatePolicy(id, policy.policy());
    after
        .filter(k -> !k.isRevoked())
        .ifPresent(
            k -> {
              LOG.info(
                  "k8s: key {} now follows {} (generation {})", id, policy, policy.generation());
              KeyChangeAudit a = audit;
              if (a != null) {
                a.policyChanged(k, policy.namespace() + "/" + policy.name(), now());
              }
              try {
                events.policyChanged(k);
              } catch (RuntimeException e) {
                LOG.warn(
                    "k8s: key {} changed, but listeners were not told: {}", id, e.getMessage());
              }
            });
    return after;
  }

  /** Writes an audit row for every policy change from now on. */
  public KeyIssuer withAudit(KeyChangeAudit audit) {
    this.audit = java.util.Objects.requireNonNull(audit);
    return this;
  }

  public Optional<KeyRecord> find(String id) {
    return keys.findById(id);
  }
}
