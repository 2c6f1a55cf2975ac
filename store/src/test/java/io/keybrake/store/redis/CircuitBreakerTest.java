package io.keybrake.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(1), clock);

  @Test
  void opensAfterConsecutiveFailuresOnly() {
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    assertThat(breaker.allow()).isTrue();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.allow()).isFalse();
  }

  @Test
  void halfOpensAfterCoolDownAndLetsOneProbeThrough() {
    openIt();
    clock.advance(Duration.ofMillis(999));
    assertThat(breaker.allow()).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(breaker.allow()).as("a second caller while the probe is out").isFalse();
  }

  @Test
  void probeSuccessClosesIt() {
    openIt();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.allow()).isTrue();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.allow()).isTrue();
  }

  @Test
  void probeFailureOpensItForAnotherCoolDown() {
    openIt();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.allow()).isTrue();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    clock.advance(Duration.ofMillis(500));
    assertThat(breaker.allow()).isFalse();
    clock.advance(Duration.ofMillis(500));
    assertThat(breaker.allow()).isTrue();
  }

  @Test
  void abandonedProbeLetsTheNextCallerProbe() {
    openIt();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.allow()).isFalse();
    breaker.onAbandoned();
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
  }

  @Test
  void abandonedCallLeavesAClosedBreakerClosed() {
    breaker.onAbandoned();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  private void openIt() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure();
    }
    assertThat(breaker.allow()).isFalse();
  }
}
