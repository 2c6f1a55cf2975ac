package io.keybrake.core.ledger;

import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * New reservation ids: {@code rsv_} and 32 hex digits, the first 12 the reservation's time in epoch
 * milliseconds, the other 20 random (80 bits). Ids made close in time sort next to each other, so a
 * store's index of reservations takes new ones at its end (the embedded store's B-trees touch one
 * leaf page for the reservations a group commit holds, not one random page each, as {@code
 * UUID.randomUUID()} ids did). Ids are unique, not secret: nothing is authorized by knowing one.
 * Two ids collide only if made in the same millisecond with the same 80 bits. Thread-safe.
 */
public final class ReservationIds {
  private static final HexFormat HEX = HexFormat.of();

  private ReservationIds() {}

  /** A new id for a reservation made at {@code at}. */
  public static String next(Instant at) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    // epoch milliseconds stay below 2^48 (12 hex digits) until the year 10889
    return "rsv_"
        + HEX.toHexDigits(at.toEpochMilli()).substring(4)
        + HEX.toHexDigits(random.nextLong())
        + HEX.toHexDigits((short) random.nextInt());
  }
}
