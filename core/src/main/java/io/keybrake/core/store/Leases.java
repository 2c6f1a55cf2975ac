package io.keybrake.core.store;

import java.time.Duration;

/**
 * Which process of a fleet runs a housekeeping job that every instance would otherwise run against
 * the same shared state (and the same vendor): the holder of the job's lease. A lease lasts for its
 * time to live unless its holder extends it, so a holder that dies hands the job over once the
 * lease runs out; one that stops cleanly hands it over at once ({@link #release}). Thread-safe.
 */
public interface Leases {
  /** One process and its own store: it holds every lease. */
  Leases SOLE =
      new Leases() {
        @Override
        public boolean hold(String job, Duration ttl) {
          return true;
        }

        @Override
        public void release(String job) {}
      };

  /**
   * Takes {@code job}'s lease for {@code ttl} when no process holds it, or extends it by {@code
   * ttl} when this process does.
   *
   * @return whether this process holds the lease now (false: another one does)
   * @throws StoreUnavailableException the store that keeps the leases did not answer
   */
  boolean hold(String job, Duration ttl);

  /** Gives {@code job}'s lease up if this process holds it, so another can take it at once. */
  void release(String job);
}
