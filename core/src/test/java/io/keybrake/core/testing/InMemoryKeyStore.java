package io.keybrake.core.testing;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory {@link KeyStore} fake, found by secret hash or id. Thread-safe. */
public final class InMemoryKeyStore implements KeyStore {
  private final Map<String, KeyRecord> byId = new ConcurrentHashMap<>();

  @Override
  public void create(KeyRecord key) {
    byId.put(key.id(), key);
  }

  @Override
  public Optional<KeyRecord> findBySecretHash(String secretHash) {
    return byId.values().stream().filter(k -> k.secretHash().equals(secretHash)).findFirst();
  }

  @Override
  public Optional<KeyRecord> findById(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  @Override
  public List<KeyRecord> list() {
    return List.copyOf(byId.values());
  }

  @Override
  public Optional<KeyRecord> revoke(String id, Instant at) {
    return Optional.ofNullable(byId.computeIfPresent(id, (i, k) -> k.withRevokedAt(at)));
  }
}
