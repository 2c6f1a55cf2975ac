package io.keybrake.core.key;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code KeyStore} is the key registry port: keys, policies and encrypted credentials.
 * Implementations are thread-safe. Faults (store unreachable) are {@link
 * io.keybrake.core.store.StoreUnavailableException}.
 */
public interface KeyStore {

  /** Stores a new key. The record's id and secret hash must be unique. */
  void create(KeyRecord key);

  /** The key whose secret hashes to {@code secretHash}, revoked and expired ones included. */
  Optional<KeyRecord> findBySecretHash(String secretHash);

  Optional<KeyRecord> findById(String id);

  /**
   * Every key, newest first. Reads and decrypts the whole registry: for tools and tests, never for
   * a path that runs per change or on a timer (use {@link #page} and {@link #changesSince}).
   */
  List<KeyRecord> list();

  /**
   * One page of keys matching {@code query}, newest first. The default filters {@link #list()}, for
   * small in-memory stores; the database stores answer from an index.
   */
  default KeyPage page(KeyQuery query) {
    List<KeyRecord> out = new ArrayList<>();
    for (KeyRecord k : list()) {
      if (query.after().map(a -> a.isBefore(KeyQuery.Position.of(k))).orElse(true)
          && query.matches(k)) {
        out.add(k);
        if (out.size() == query.limit()) {
          break;
        }
      }
    }
    Optional<KeyQuery.Position> next =
        out.size() == query.limit()
            ? Optional.of(KeyQuery.Position.of(out.get(out.size() - 1)))
            : Optional.empty();
    return new KeyPage(out, next);
  }

  /**
   * Revokes, at {@code at}, every key not yet revoked whose labels include all of {@code labels}
   * (which must not be empty).
   *
   * @return the ids of the keys this call revoked
   */
  default List<String> revokeMatching(Map<String, String> labels, Instant at) {
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("a label selector is required");
    }
    List<String> ids = new ArrayList<>();
    for (KeyRecord k : list()) {
      if (!k.isRevoked() && k.labels().entrySet().containsAll(labels.entrySet())) {
        revoke(k.id(), at);
        ids.add(k.id());
      }
    }
    return ids;
  }

  /**
   * The registry's change feed: for each key changed after position {@code cursor}, its state after
   * its latest change, in feed order, at most {@code limit}. Reads only what changed and decrypts
   * nothing. {@code changesSince(0, …)} pages through every key once (a cache's start).
   *
   * <p>A fleet database hands out positions when writes start and they commit in another order, so
   * a reader that wants every change re-reads a little behind its cursor (applying a change twice
   * is harmless: it is the key's state, not a delta).
   *
   * @throws UnsupportedOperationException if this store keeps no change feed (test doubles)
   */
  default List<KeyChange> changesSince(long cursor, int limit) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no change feed");
  }

  /**
   * Marks the key revoked at {@code at}. Idempotent: revoking a revoked key keeps the first time.
   *
   * @return the key as stored after the call, or empty if no such key
   */
  Optional<KeyRecord> revoke(String id, Instant at);

  /**
   * Replaces the policy of the key {@code id} in place (same id, same secret), unless it is
   * revoked: a revoked key keeps the policy it was revoked under. The change takes the next
   * position of the change feed.
   *
   * @return the key as stored after the call, or empty if no such key
   * @throws UnsupportedOperationException if this store cannot change a key's policy (test doubles)
   */
  default Optional<KeyRecord> updatePolicy(String id, io.keybrake.core.policy.Policy policy) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot change a policy");
  }

  /**
   * Stores a new key and, in the same step, the idempotent creation that made it.
   *
   * @throws IllegalStateException a key with the same id or secret hash, or a creation with the
   *     same idempotency key, exists (look the creation up again)
   * @throws UnsupportedOperationException if this store keeps no creations (test doubles)
   */
  default void create(KeyRecord key, KeyCreation creation) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no creations");
  }

  /** The creation made under {@code idempotencyKey}, if any. */
  default Optional<KeyCreation> findCreation(String idempotencyKey) {
    return Optional.empty();
  }

  /**
   * Moves keys revoked or expired more than {@code retention} before {@code now} out of the hot
   * table into the archive (the audit log keeps their history), and forgets the vault keys kept for
   * idempotent creations older than {@code secretWindow}.
   *
   * @return how many keys were archived
   */
  default int archive(Instant now, java.time.Duration retention, java.time.Duration secretWindow) {
    return 0;
  }
}
