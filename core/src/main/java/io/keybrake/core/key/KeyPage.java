package io.keybrake.core.key;

import java.util.List;
import java.util.Optional;

/**
 * A page of keys and where the next one starts.
 *
 * @param next the position to pass as {@link KeyQuery#after()} for the next page; empty on the last
 *     page
 */
public record KeyPage(List<KeyRecord> keys, Optional<KeyQuery.Position> next) {
  public KeyPage {
    keys = List.copyOf(keys);
  }
}
