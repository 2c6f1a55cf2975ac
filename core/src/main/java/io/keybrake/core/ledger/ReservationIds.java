package io.keybrake.core.ledger;

import java.time.Instant;
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
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private ReservationIds() {}

  /** A new id for a reservation made at {@code at}. */
  public static String next(Instant at) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[36];
    id[0] = 'r';
    id[1] = 's';
    id[2] = 'v';
    id[3] = '_';
    hex(id, 4, at.toEpochMilli() & 0xffff_ffff_ffffL, 12);
    hex(id, 16, random.nextLong(), 16);
    hex(id, 32, random.nextInt(), 4);
    return new String(id);
  }

  private static void hex(char[] to, int from, long value, int digits) {
    for (int i = from + digits - 1; i >= from; i--) {
      to[i] = HEX[(int) (value & 0xf)];
      value >>>= 4;
    }
  }
}
