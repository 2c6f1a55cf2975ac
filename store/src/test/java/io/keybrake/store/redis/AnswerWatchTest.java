package io.keybrake.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AnswerWatchTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AnswerWatch watch = new AnswerWatch(nanos::get);

  @Test
  void aConnectionThatAnsweredAfterTheCommandWasSentIsSlowNotSilent() {
    long sent = nanos.addAndGet(5_000_000);
    nanos.addAndGet(40_000_000);
    watch.answered();
    nanos.addAndGet(2_000_000_000L);
    assertThat(watch.answeredSince(sent)).isTrue();
  }

  @Test
  void aConnectionWithNoAnswerSinceTheCommandWasSentIsSilent() {
    watch.answered();
    long sent = nanos.addAndGet(50_000_000);
    nanos.addAndGet(2_000_000_000L);
    assertThat(watch.answeredSince(sent)).isFalse();
  }
}
