package io.keybrake.core.key;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A key created under an idempotency key ({@code POST /keys} with {@code idempotency_key}): a
 * retried request finds it and gets the same key back, not a second one.
 *
 * @param requestHash digest of the request's content, so a different request reusing the
 *     idempotency key is told apart from a retry
 * @param secret the vault key, kept (sealed at rest) only for a short replay window so a retry
 *     whose first answer was lost can still learn it; empty once the window has passed
 */
public record KeyCreation(
    String idempotencyKey,
    String keyId,
    String requestHash,
    Optional<String> secret,
    Instant createdAt) {

  public KeyCreation {
    Objects.requireNonNull(idempotencyKey);
    Objects.requireNonNull(keyId);
    Objects.requireNonNull(requestHash);
    Objects.requireNonNull(secret);
    Objects.requireNonNull(createdAt);
  }

  @Override
  public String toString() {
    return "KeyCreation[idempotencyKey=" + idempotencyKey + ", keyId=" + keyId + ", secret=***]";
  }
}
