package io.keybrake.core.key;

import io.keybrake.core.policy.Policy;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A vault key as the registry holds it: never the secret itself, only its SHA-256 hash.
 *
 * @param id stable public id ({@code key_…})
 * @param secretHash hex SHA-256 of the {@code vault_key_…} secret
 * @param credential the decrypted real vendor credential (memory only)
 */
public record KeyRecord(
    String id,
    String name,
    String vendor,
    Map<String, String> labels,
    Policy policy,
    String secretHash,
    VendorCredential credential,
    Instant createdAt,
    Optional<Instant> expiresAt,
    Optional<Instant> revokedAt) {

  public KeyRecord {
    labels = Map.copyOf(labels);
  }

  public boolean isRevoked() {
    return revokedAt.isPresent();
  }

  public boolean isExpiredAt(Instant now) {
    return expiresAt.map(e -> !now.isBefore(e)).orElse(false);
  }

  public KeyRecord withRevokedAt(Instant at) {
    return new KeyRecord(
        id,
        name,
        vendor,
        labels,
        policy,
        secretHash,
        credential,
        createdAt,
        expiresAt,
        Optional.of(at));
  }
}
