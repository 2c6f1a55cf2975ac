package io.keybrake.core.audit;

import java.time.Instant;
import java.util.Optional;

/** Filter for {@link AuditLog#query}: all present conditions hold; newest first. */
public record AuditQuery(
    Optional<String> keyId, Optional<Instant> since, Optional<Instant> until, int limit) {
  public static final int MAX_LIMIT = 1000;

  public AuditQuery {
    if (limit <= 0 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
    }
  }
}
