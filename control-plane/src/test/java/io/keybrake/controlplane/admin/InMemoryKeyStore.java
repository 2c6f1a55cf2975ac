package io.keybrake.controlplane.admin;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.store.StoreUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A {@link KeyStore} in a map, for tests. Thread-safe (synchronized). Can be made to fail. */
final class InMemoryKeyStore implements KeyStore {
  private final Map<String, KeyRecord> byId = new LinkedHashMap<>();
  private volatile boolean down;
  private volatile boolean duplicateOnCreate;

  /** Makes {@link #create} act as if the id or hash were taken, as the SQLite store signals it. */
  void setDuplicateOnCreate(boolean duplicate) {
    this.duplicateOnCreate = duplicate;
  }

  void setDown(boolean down) {
    this.down = down;
  }

  @Override
  public synchronized void create(KeyRecord key) {
    check();
    if (duplicateOnCreate
        || byId.containsKey(key.id())
        || byId.values().stream().anyMatch(k -> k.secretHash().equals(key.secretHash()))) {
      throw new IllegalStateException("duplicate key");
    }
    byId.put(key.id(), key);
  }

  @Override
  public synchronized Optional<KeyRecord> findBySecretHash(String secretHash) {
    check();
    return byId.values().stream().filter(k -> k.secretHash().equals(secretHash)).findFirst();
  }

  @Override
  public synchronized Optional<KeyRecord> findById(String id) {
    check();
    return Optional.ofNullable(byId.get(id));
  }

  @Override
  public synchronized List<KeyRecord> list() {
    check();
    List<KeyRecord> all = new ArrayList<>(byId.values());
    // newest first; insertion order breaks ties (later inserted first)
    List<KeyRecord> reversed = new ArrayList<>(all.size());
    for (int i = all.size() - 1; i >= 0; i--) {
      reversed.add(all.get(i));
    }
    reversed.sort(Comparator.comparing(KeyRecord::createdAt).reversed());
    return reversed;
  }

  @Override
  public synchronized Optional<KeyRecord> revoke(String id, Instant at) {
    check();
    KeyRecord k = byId.get(id);
    if (k == null) {
      return Optional.empty();
    }
    if (!k.isRevoked()) {
      k = k.withRevokedAt(at);
      byId.put(id, k);
    }
    return Optional.of(k);
  }

  private void check() {
    if (down) {
      throw new StoreUnavailableException("key store is down (test)");
    }
  }

  /** Forgets everything (between cases of a table-driven test). */
  synchronized void clear() {
    byId.clear();
  }
}
