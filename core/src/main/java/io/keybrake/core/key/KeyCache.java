package io.keybrake.core.key;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code KeyCache} serves keys by secret hash from memory, holding only what traffic uses: at most
 * {@code maxEntries} keys (least recently used go first, so memory does not grow with the
 * registry), each loaded from the {@link KeyStore} on its first call. An entry is read again once
 * it is {@code ttl} old: exactly one caller refreshes it while the others keep being served the
 * entry they have, for at most {@code 2 x ttl} in all, so a thousand calls a second for one key
 * cause one store read a second. An active key's entry also leaves when the key expires; a revoked
 * or expired key's entry (kept so that repeated calls with it are refused without a store read)
 * lives one {@code ttl}. {@link #invalidate} drops a key at once (revocation). Unknown keys are not
 * cached. Thread-safe.
 */
public final class KeyCache {
  /** Enough for every key that carries traffic in a large fleet; about 2 KiB each. */
  public static final int DEFAULT_MAX_ENTRIES = 50_000;

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
  private final Cache<String, Entry> byHash;
  private final ConcurrentHashMap<String, String> hashById = new ConcurrentHashMap<>();

  public KeyCache(KeyStore store, Clock clock, Duration ttl) {
    this(store, clock, ttl, DEFAULT_MAX_ENTRIES);
  }

  public KeyCache(KeyStore store, Clock clock, Duration ttl, int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive");
    }
    this.store = store;
    this.clock = clock;
    this.ttl = ttl;
    this.byHash =
        Caffeine.newBuilder()
            .maximumSize(maxEntries)
            .ticker(ticker(clock))
            .executor(Runnable::run) // removal bookkeeping on the caller's thread
            .expireAfter(new Lifetime())
            .<String, Entry>removalListener(
                (hash, e, cause) -> {
                  if (e != null && cause != RemovalCause.REPLACED) {
                    hashById.remove(e.key.id(), hash);
                  }
                })
            .build();
  }

  /** The key for this secret hash; unknown keys are not cached. */
  public Optional<KeyRecord> find(String secretHash) {
    Instant now = clock.instant();
    Entry e = byHash.getIfPresent(secretHash);
    if (e != null) {
      if (now.isBefore(e.loadedAt.plus(ttl))) {
        return Optional.of(e.key);
      }
      if (!e.refreshing.compareAndSet(false, true)) {
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
      hashById.put(loaded.get().id(), secretHash);
      byHash.put(secretHash, new Entry(loaded.get(), now));
    } else {
      byHash.invalidate(secretHash);
    }
    return loaded;
  }

  /** Drops the key with this id, so the next call reads the store. */
  public void invalidate(String keyId) {
    String hash = hashById.remove(keyId);
    if (hash != null) {
      byHash.invalidate(hash);
    }
  }

  /** Drops everything (e.g. after losing contact with the store's change feed). */
  public void clear() {
    byHash.invalidateAll();
    hashById.clear();
  }

  /** How many keys are held now (expired entries may count until the cache's next cleanup). */
  public long size() {
    byHash.cleanUp();
    return byHash.estimatedSize();
  }

  /** Active key: two TTLs, or until it expires; revoked or expired key: one TTL. */
  private final class Lifetime implements Expiry<String, Entry> {
    @Override
    public long expireAfterCreate(String hash, Entry e, long currentTime) {
      KeyRecord k = e.key;
      if (k.isRevoked() || k.isExpiredAt(e.loadedAt)) {
        return ttl.toNanos();
      }
      long nanos = ttl.multipliedBy(2).toNanos();
      if (k.expiresAt().isPresent()) {
        nanos = Math.min(nanos, Duration.between(e.loadedAt, k.expiresAt().get()).toNanos());
      }
      return Math.max(0, nanos);
    }

    @Override
    public long expireAfterUpdate(String hash, Entry e, long currentTime, long currentDuration) {
      return expireAfterCreate(hash, e, currentTime);
    }

    @Override
    public long expireAfterRead(String hash, Entry e, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }

  private static Ticker ticker(Clock clock) {
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }
}
