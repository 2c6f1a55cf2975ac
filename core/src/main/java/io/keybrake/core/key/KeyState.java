package io.keybrake.core.key;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a key is in its life at a given time. A revoked key counts as revoked even once expired.
 */
public enum KeyState {
  ACTIVE,
  REVOKED,
  EXPIRED;

  /** The state of {@code key} at {@code now}. */
  public static KeyState of(KeyRecord key, Instant now) {
    if (key.isRevoked()) {
      return REVOKED;
    }
    return key.isExpiredAt(now) ? EXPIRED : ACTIVE;
  }

  /** The state named {@code name} ({@code active}, {@code revoked}, {@code expired}). */
  public static Optional<KeyState> parse(String name) {
    for (KeyState s : values()) {
      if (s.wireName().equals(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** The lower-case name the API uses. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
