package io.keybrake.core.admission;

import java.time.Instant;
import java.util.Objects;

/**
 * A reservation still open (neither settled, released nor kept unsettled): its id, key, amount and
 * when it was made.
 */
public record OpenReservation(String id, String keyId, long amountMicros, Instant at) {
  public OpenReservation {
    Objects.requireNonNull(id);
    Objects.requireNonNull(at);
  }
}
