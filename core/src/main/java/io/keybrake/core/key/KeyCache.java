package io.keybrake.core.key;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code KeyCache} serves keys by secret hash from memory for at most {@code ttl}, then asks the
 * {@link KeyStore} again. {@link #invalidate} drops a key at once (revocation). Thread-safe.
 */
public final class KeyCache {
  private static final int MAX_ENTRIES = 100_000;

  private record Entry(KeyRecord key, Instant loadedAt) {}

  private final KeyStore store;
  private final Clock clock;
  private final Duration ttl;
  private final ConcurrentHashMap<String, Entry> byHash = new ConcurrentHashMap<>();

  public KeyCache(KeyStore store, Clock clock, Duration ttl) {
    this.store = store;
    this.clock = clock;
    this.ttl = ttl;
  }

  /** The key for this secret hash; unknown keys are not cached. */
  public Optional<KeyRecord> find(String secretHash) {
    Instant now = clock.instant();
    Entry e = byHash.get(secretHash);
    if (e != null && now.isBefore(e.loadedAt().plus(ttl))) {
      return Optional.of(e.key());
    }
    Optional<KeyRecord> loaded = store.findBySecretHash(secretHash);
    if (loaded.isPresent()) {
      if (byHash.size() >= MAX_ENTRIES) {
        byHash.clear();
      }
      byHash.put(secretHash, new Entry(loaded.get(), now));
    } else {
      byHash.remove(secretHash);
    }
    return loaded;
  }

  /** Drops the key with this id, so the next call reads the store. */
  public void invalidate(String keyId) {
    byHash.values().removeIf(e -> e.key().id().equals(keyId));
  }

  /** Drops everything (e.g. after losing contact with the store's change feed). */
  public void clear() {
    byHash.clear();
  }
}
