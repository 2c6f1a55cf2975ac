package io.keybrake.core.ledger;

/** A counter's state: settled spend and open reservations, in micro-dollars. */
public record CounterSnapshot(long settledMicros, long reservedMicros) {
  public static final CounterSnapshot EMPTY = new CounterSnapshot(0, 0);

  public long totalMicros() {
    return settledMicros + reservedMicros;
  }
}
