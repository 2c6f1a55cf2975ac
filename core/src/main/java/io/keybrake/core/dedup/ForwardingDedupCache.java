package io.keybrake.core.dedup;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A {@link LedgerDedupCache} whose plain {@link DedupCache} calls go to a cache it wraps; only the
 * combined steps are its own. Thread-safe when the wrapped cache is.
 */
public abstract class ForwardingDedupCache implements LedgerDedupCache {
  private final DedupCache cache;

  protected ForwardingDedupCache(DedupCache cache) {
    this.cache = Objects.requireNonNull(cache);
  }

  @Override
  public final Claim claim(String fingerprint, Instant now, Instant expiresAt) {
    return cache.claim(fingerprint, now, expiresAt);
  }

  @Override
  public final void complete(String fingerprint, String token, StoredResponse response) {
    cache.complete(fingerprint, token, response);
  }

  @Override
  public final void abandon(String fingerprint, String token) {
    cache.abandon(fingerprint, token);
  }

  @Override
  public final void awaitChange(String fingerprint, Duration maxWait) throws InterruptedException {
    cache.awaitChange(fingerprint, maxWait);
  }
}
