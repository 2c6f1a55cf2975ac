package io.keybrake.core.key;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of the registry's change feed: the state of a key after a change (creation,
 * revocation), with what routes and caches need and never its credential, so reading changes
 * decrypts nothing. The node a key is bound to is its {@link KeyBinding} label.
 *
 * @param seq the change's position in the feed; a later change of the same key has a larger one
 */
public record KeyChange(
    long seq,
    String id,
    String vendor,
    Map<String, String> labels,
    Optional<Instant> expiresAt,
    Optional<Instant> revokedAt) {

  public KeyChange {
    labels = Map.copyOf(labels);
  }

  /** The change a key's current record stands for. */
  public static KeyChange of(long seq, KeyRecord key) {
    return new KeyChange(
        seq, key.id(), key.vendor(), key.labels(), key.expiresAt(), key.revokedAt());
  }

  /** Neither revoked nor expired at {@code now}. */
  public boolean isActiveAt(Instant now) {
    return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
  }

  /** The node this key's routes go to, if the key is bound to one. */
  public Optional<String> binding() {
    return KeyBinding.of(labels);
  }
}
