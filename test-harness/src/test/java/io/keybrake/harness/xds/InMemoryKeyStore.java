package io.keybrake.harness.xds;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.StoreUnavailableException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A thread-safe in-memory {@link KeyStore} for tests; {@link #failing} simulates an outage. */
final class InMemoryKeyStore implements KeyStore {

  private final Map<String, KeyRecord> keys = new ConcurrentHashMap<>();
  volatile boolean failing;

  @Override
  public void create(KeyRecord key) {
    keys.put(key.id(), key);
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
  public Optional<KeyRecord> revoke(String id, Instant at) {
    return Optional.ofNullable(
        keys.computeIfPresent(id, (k, v) -> v.isRevoked() ? v : v.withRevokedAt(at)));
  }
}
