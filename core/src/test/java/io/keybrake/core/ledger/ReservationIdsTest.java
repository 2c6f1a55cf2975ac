package io.keybrake.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReservationIdsTest {
  private static final Instant T0 = Instant.parse("2026-12-03T04:30:00.123Z");

  @Test
  void anIdIsRsvAndThirtyTwoHexDigitsStartingWithItsMillisecond() {
    String id = ReservationIds.next(T0);

    assertThat(id).matches("rsv_[0-9a-f]{32}");
    assertThat(Long.parseLong(id.substring(4, 16), 16)).isEqualTo(T0.toEpochMilli());
  }

  @Test
  void laterIdsSortAfterEarlierOnesSoAStoreAppendsThem() {
    String earlier = ReservationIds.next(T0);
    String later = ReservationIds.next(T0.plusMillis(1));

    assertThat(later).isGreaterThan(earlier);
  }

  @Test
  void idsOfOneMillisecondDoNotRepeat() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(ReservationIds.next(T0));
    }

    assertThat(ids).hasSize(100_000);
  }
}
