package io.keybrake.cli.app;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.guard.KeySuspension;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revokes a key a loop guard caught ({@code loop_action: suspend}) the way an admin {@code DELETE
 * /keys/{id}} does: in the registry, then through the app's one revocation path (this instance's
 * cache, the change feed to every other instance, the xDS routes), with an audit row like the admin
 * API's: decision {@code admin}, reason {@code loop_detected}, actor {@value #ACTOR}. Thread-safe.
 */
final class LoopSuspension implements KeySuspension {
  private static final Logger log = LoggerFactory.getLogger(LoopSuspension.class);

  /** The actor an automatic suspension's audit row names (where an admin row has its key id). */
  static final String ACTOR = "keybrake_guard";

  private final KeyStore keys;
  private final AuditLog audit;
  private final Clock clock;
  private volatile Consumer<String> revokedHere = id -> {};

  LoopSuspension(KeyStore keys, AuditLog audit, Clock clock) {
    this.keys = keys;
    this.audit = audit;
    this.clock = clock;
  }

  /** The app's revocation path (cache, feed, routes), once it exists. */
  void revokeThrough(Consumer<String> revokedHere) {
    this.revokedHere = revokedHere;
  }

  @Override
  public boolean suspend(KeyRecord key, String reason) {
    Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Optional<KeyRecord> revoked = keys.revoke(key.id(), at);
    if (revoked.isEmpty() || !revoked.get().revokedAt().equals(Optional.of(at))) {
      return false; // unknown, or revoked already (by an admin or another instance)
    }
    log.warn("key {} revoked: {}", key.id(), reason);
    revokedHere.accept(key.id());
    audit.append(
        new AuditEntry(
            at,
            key.id(),
            key.name(),
            key.labels(),
            key.vendor(),
            "DELETE",
            "/keys/{id}",
            null,
            0,
            0,
            null,
            ACTOR,
            "admin",
            reason,
            200,
            0,
            0,
            "none",
            null));
    return true;
  }
}
