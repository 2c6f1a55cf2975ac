package io.keybrake.controlplane.xds;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.store.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A thread-safe in-memory {@link KeyStore} for tests; {@link #failing} simulates an outage. Also
 * used by test-harness's xDS tests (through this module's test-jar).
 */
public final class InMemoryKeyStore implements KeyStore {

  private final Map<String, KeyRecord> keys = new ConcurrentHashMap<>();
  private final Map<String, Long> seqById = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong seq =
      new java.util.concurrent.atomic.AtomicLong();
  public volatile boolean failing;

  /** A key with a generous policy and an API-key credential. */
  public static KeyRecord key(
      String id, String vendor, Instant created, Optional<Instant> expires) {
    Policy policy =
        new Policy(
            1_000_000,
            OptionalLong.empty(),
            List.of(),
            List.of(),
            List.of(),
            Duration.ofSeconds(60),
            Optional.empty(),
            600,
            false,
            ZoneOffset.UTC);
    return new KeyRecord(
        id,
        "agent " + id,
        vendor,
        Map.of(),
        policy,
        "hash-" + id,
        new VendorCredential.ApiKey("sk_test_secret"),
        created,
        expires,
        Optional.empty());
  }

  @Override
  public synchronized void create(KeyRecord key) {
    keys.put(key.id(), key);
    seqById.put(key.id(), seq.incrementAndGet());
  }

  @Override
  public Optional<KeyRecord> findBySecretHash(String secretHash) {
    return keys.values().stream().filter(k -> k.secretHash().equals(secretHash)).findFirst();
  }

  @Override
  public Optional<KeyRecord> findById(String id) {
    return Optional.ofNullable(keys.get(id));
  }

  @Override
  public List<KeyRecord> list() {
    if (failing) {
      throw new StoreUnavailableException("registry down");
    }
    return keys.values().stream()
        .sorted(Comparator.comparing(KeyRecord::createdAt).reversed())
        .toList();
  }

  @Override
  public synchronized Optional<KeyRecord> revoke(String id, Instant at) {
    KeyRecord before = keys.get(id);
    Optional<KeyRecord> after =
        Optional.ofNullable(
            keys.computeIfPresent(id, (k, v) -> v.isRevoked() ? v : v.withRevokedAt(at)));
    if (before != null && !before.isRevoked()) {
      seqById.put(id, seq.incrementAndGet());
    }
    return after;
  }

  @Override
  public synchronized List<io.keybrake.core.key.KeyChange> changesSince(long cursor, int limit) {
    if (failing) {
      throw new StoreUnavailableException("registry down");
    }
    return seqById.entrySet().stream()
        .filter(e -> e.getValue() > cursor)
        .sorted(Map.Entry.comparingByValue())
        .limit(limit)
        .map(e -> io.keybrake.core.key.KeyChange.of(e.getValue(), keys.get(e.getKey())))
        .toList();
  }
}
