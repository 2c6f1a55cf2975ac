package io.keybrake.core.policy;

import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The loop and velocity guards, send window and rollout mode of a policy ({@code
 * docs/policies.md}). Immutable; validated by {@link PolicyParser}. Enforced by {@code
 * io.keybrake.core.guard.Guard}.
 *
 * @param maxCallsPerDestination calls per clock hour (UTC) to any one destination ({@code
 *     max_calls_per_destination})
 * @param maxIdenticalCalls identical calls (same endpoint, destinations and body) per clock hour,
 *     counting once per dedup window ({@code max_identical_calls_per_hour})
 * @param maxUsdPerMinuteMicros estimated spend per clock minute ({@code max_usd_per_minute})
 * @param loopAction what a guard trip does besides refusing the call ({@code loop_action})
 * @param allowedHours the send window ({@code allowed_hours}), if any
 * @param mode {@code enforce} (default) or {@code shadow}: refusals are recorded, not applied
 */
public record PolicyGuards(
    OptionalInt maxCallsPerDestination,
    OptionalInt maxIdenticalCalls,
    OptionalLong maxUsdPerMinuteMicros,
    LoopAction loopAction,
    Optional<SendWindow> allowedHours,
    Mode mode) {

  /** No guard, no window, enforced. */
  public static final PolicyGuards NONE =
      new PolicyGuards(
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalLong.empty(),
          LoopAction.ALERT,
          Optional.empty(),
          Mode.ENFORCE);

  public PolicyGuards {
    Objects.requireNonNull(maxCallsPerDestination);
    Objects.requireNonNull(maxIdenticalCalls);
    Objects.requireNonNull(maxUsdPerMinuteMicros);
    Objects.requireNonNull(loopAction);
    Objects.requireNonNull(allowedHours);
    Objects.requireNonNull(mode);
  }

  /** Whether any counter-based guard is set (then each call costs one counter-store step). */
  public boolean counts() {
    return maxCallsPerDestination.isPresent()
        || maxIdenticalCalls.isPresent()
        || maxUsdPerMinuteMicros.isPresent();
  }

  public boolean shadow() {
    return mode == Mode.SHADOW;
  }

  /** What a loop guard does when it trips. The call itself is refused either way. */
  public enum LoopAction {
    /** Metric, log line and webhook; the key stays usable. */
    ALERT,
    /** Also revokes the key, with reason {@code loop_detected}. */
    SUSPEND;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether refusals are applied or only recorded. */
  public enum Mode {
    ENFORCE,
    SHADOW;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * A daily send window: calls are allowed from {@code from} (inclusive) to {@code to} (exclusive)
   * local time; {@code from > to} is a window across midnight.
   *
   * @param zone the zone whose clock is read; empty = each recipient's own (the strictest zone of a
   *     number that spans several)
   */
  public record SendWindow(LocalTime from, LocalTime to, Optional<ZoneId> zone) {
    public SendWindow {
      Objects.requireNonNull(from);
      Objects.requireNonNull(to);
      Objects.requireNonNull(zone);
      if (from.equals(to)) {
        throw new IllegalArgumentException("an empty send window");
      }
    }

    /** Whether {@code t} is inside the window. */
    public boolean contains(LocalTime t) {
      return from.isBefore(to)
          ? !t.isBefore(from) && t.isBefore(to)
          : !t.isBefore(from) || t.isBefore(to);
    }
  }
}
