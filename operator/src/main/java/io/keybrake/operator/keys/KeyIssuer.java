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

  public Optional<KeyRecord> find(String id) {
    return keys.findById(id);
  }
}
