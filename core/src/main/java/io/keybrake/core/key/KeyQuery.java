package io.keybrake.core.key;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a key listing: keys newest first (by creation time, then id), every filter must hold.
 * {@code after} is the position of the last key of the previous page, so a key created while a
 * client pages (which sorts before the first page) neither shifts nor repeats later pages.
 *
 * @param labels every entry must be among the key's labels
 * @param vendor the key's vendor, if given
 * @param state the key's state at {@code now}, if given
 * @param after where the previous page ended; empty for the first page
 * @param limit most keys on the page, 1 to {@value #MAX_LIMIT}
 */
public record KeyQuery(
    Map<String, String> labels,
    Optional<String> vendor,
    Optional<KeyState> state,
    Optional<Position> after,
    int limit,
    Instant now) {

  public static final int MAX_LIMIT = 1000;

  /** A key's place in the listing order: its creation time and id. */
  public record Position(Instant createdAt, String id) {
    public Position {
      Objects.requireNonNull(createdAt);
      Objects.requireNonNull(id);
    }

    public static Position of(KeyRecord key) {
      return new Position(key.createdAt(), key.id());
    }

    /** Whether a key at {@code other} sorts after this position (older, or same time, lower id). */
    public boolean isBefore(Position other) {
      int c = createdAt.compareTo(other.createdAt);
      return c > 0 || (c == 0 && id.compareTo(other.id) > 0);
    }
  }

  public KeyQuery {
    labels = Map.copyOf(labels);
    Objects.requireNonNull(vendor);
    Objects.requireNonNull(state);
    Objects.requireNonNull(after);
    Objects.requireNonNull(now);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT);
    }
  }

  /** Whether {@code key} passes every filter (the position excluded). */
  public boolean matches(KeyRecord key) {
    return key.labels().entrySet().containsAll(labels.entrySet())
        && vendor.map(key.vendor()::equals).orElse(true)
        && state.map(s -> s == KeyState.of(key, now)).orElse(true);
  }
}
