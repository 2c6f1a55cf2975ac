package io.keybrake.core.key;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code KeyStore} is the key registry port: keys, policies and encrypted credentials.
 * Implementations are thread-safe. Faults (store unreachable) are {@link
 * StoreUnavailableException}.
 */
public interface KeyStore {

  /** Stores a new key. The record's id and secret hash must be unique. */
  void create(KeyRecord key);

  /** The key whose secret hashes to {@code secretHash}, revoked and expired ones included. */
  Optional<KeyRecord> findBySecretHash(String secretHash);

  Optional<KeyRecord> findById(String id);

  /** Every key, newest first. */
  List<KeyRecord> list();

  /**
   * Marks the key revoked at {@code at}. Idempotent: revoking a revoked key keeps the first time.
   *
   * @return the key as stored after the call, or empty if no such key
   */
  Optional<KeyRecord> revoke(String id, Instant at);
}
