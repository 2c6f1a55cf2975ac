package io.keybrake.core.dedup;

import java.time.Duration;
import java.time.Instant;

/**
 * {@code DedupCache} remembers calls by fingerprint for their dedup window. Thread-safe; shared by
 * every instance using the same store. Faults throw {@link
 * io.keybrake.core.key.StoreUnavailableException}.
 */
public interface DedupCache {

  /**
   * Atomically: no live entry → a new in-flight entry expiring at {@code expiresAt} and {@link
   * Claim.Won}; in flight → {@link Claim.InFlight}; completed → {@link Claim.Completed}. Entries
   * whose {@code expiresAt} is not after {@code now} are dead.
   */
  Claim claim(String fingerprint, Instant now, Instant expiresAt);

  /** The original finished with a 2xx: keep its response for replay until the entry expires. */
  void complete(String fingerprint, String token, StoredResponse response);

  /** The original failed or was refused: drop the entry so a retry may go. Token must match. */
  void abandon(String fingerprint, String token);

  /**
   * Blocks until the entry for {@code fingerprint} may have changed (completed, abandoned) or
   * {@code maxWait} passed. Spurious returns are allowed; callers claim again.
   */
  void awaitChange(String fingerprint, Duration maxWait) throws InterruptedException;
}
