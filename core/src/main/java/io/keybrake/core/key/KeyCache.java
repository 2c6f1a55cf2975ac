package io.keybrake.core.key;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code KeyCache} serves keys by secret hash from memory and reads the {@link KeyStore} again once
 * an entry is {@code ttl} old. Exactly one caller refreshes an old entry while the others keep
 * being served the entry they have, for at most {@code 2 x ttl} in all: a thousand calls a second
 * for one key cause one store read a second, not a burst of them. {@link #invalidate} drops a key
 * at once (revocation). Thread-safe.
 */
public final class KeyCache {
  private static final int MAX_ENTRIES = 100_000;

  private static final class Entry {
    final KeyRecord key;
    final Instant loadedAt;
    final AtomicBoolean refreshing = new AtomicBoolean();

    Entry(KeyRecord key, Instant loadedAt) {
      this.key = key;
      this.loadedAt = loadedAt;
    }
  }

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
    if (e != null) {
      if (now.isBefore(e.loadedAt.plus(ttl))) {
        return Optional.of(e.key);
      }
      boolean usable = now.isBefore(e.loadedAt.plus(ttl).plus(ttl));
      if (usable && !e.refreshing.compareAndSet(false, true)) {
        return Optional.of(e.key); // another caller is reading the store right now
      }
    }
    Optional<KeyRecord> loaded;
    try {
      loaded = store.findBySecretHash(secretHash);
    } catch (RuntimeException ex) {
      if (e != null) {
        e.refreshing.set(false);
      }
      throw ex;
    }
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
    byHash.values().removeIf(e -> e.key.id().equals(keyId));
  }

  /** Drops everything (e.g. after losing contact with the store's change feed). */
  public void clear() {
    byHash.clear();
  }
}
