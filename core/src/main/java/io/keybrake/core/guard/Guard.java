package io.keybrake.core.guard;

import io.keybrake.core.cost.CallEstimate;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.money.Micros;
import io.keybrake.core.policy.PolicyGuards;
import io.keybrake.core.store.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard step of a decision (for calls that send somewhere or cost money; reads are never
 * guarded), between the cost estimate and the spend reservation: the send window ({@code
 * allowed_hours}), then the loop and velocity counters ({@code max_calls_per_destination}, {@code
 * max_identical_calls_per_hour}, {@code max_usd_per_minute}) in one atomic step of the {@link
 * GuardCounters} store. Windows are fixed: the clock hour or minute (UTC) the call falls in. A
 * tripped loop guard refuses the call (429) and, with {@code loop_action: suspend}, revokes the key
 * with reason {@code loop_detected}. In shadow mode the counters count every call and nothing is
 * suspended; the refusal is returned for the pipeline to record. A counter store that cannot answer
 * fails the call closed ({@code ledger_unavailable}), in shadow mode too. Thread-safe.
 */
public final class Guard {
  private static final Logger log = LoggerFactory.getLogger(Guard.class);

  /** The reason a suspended key's audit row gives. */
  public static final String LOOP_DETECTED = "loop_detected";

  /** No counters, no suspension: send windows still apply. */
  public static final Guard NONE =
      new Guard(GuardCounters.NONE, KeySuspension.NONE, GuardEvents.NONE, Clock.systemUTC());

  private final GuardCounters counters;
  private final KeySuspension suspension;
  private final GuardEvents events;
  private final Clock clock;

  public Guard(GuardCounters counters, KeySuspension suspension, GuardEvents events, Clock clock) {
    this.counters = counters;
    this.suspension = suspension;
    this.events = events;
    this.clock = clock;
  }

  /**
   * The guards' verdict on a call of {@code key} to {@code endpoint}, estimated as {@code
   * estimate}: empty when it may go on, else the refusal (in shadow mode: what would refuse it).
   */
  public Optional<Refusal> check(KeyRecord key, String endpoint, CallEstimate estimate) {
    PolicyGuards g = key.policy().guards();
    if (estimate.destinations().isEmpty() && estimate.micros() == 0) {
      return Optional.empty(); // a read (a status poll, a list): never guarded
    }
    Instant now = clock.instant();
    Optional<Refusal> window = g.allowedHours().flatMap(w -> outsideWindow(key, w, estimate, now));
    if (window.isPresent()) {
      if (g.shadow()) {
        events.tripped(key, window.get().code().wireName(), "shadow", "");
      }
      return window;
    }
    if (!g.counts()) {
      return Optional.empty();
    }
    List<GuardCounters.Step> steps = new ArrayList<>();
    List<RefusalCode> rules = new ArrayList<>();
    Instant hour = now.truncatedTo(ChronoUnit.HOURS);
    Instant hourEnd = hour.plus(Duration.ofHours(1));
    if (g.maxCallsPerDestination().isPresent()) {
      for (Destination d : estimate.destinations()) {
        steps.add(
            new GuardCounters.Step(
                "dest|" + digest(key.id() + "|" + address(d)) + "|" + hour.getEpochSecond(),
                1,
                g.maxCallsPerDestination().getAsInt(),
                hourEnd,
                Optional.empty()));
        rules.add(RefusalCode.DESTINATION_RATE_EXCEEDED);
      }
    }
    if (g.maxIdenticalCalls().isPresent()) {
      String same =
          digest(
              key.id()
                  + "|"
                  + endpoint
                  + "|"
                  + addresses(estimate)
                  + "|"
                  + digest(estimate.canonicalBody()));
      Duration window0 = key.policy().dedupWindow();
      steps.add(
          new GuardCounters.Step(
              "same|" + same + "|" + hour.getEpochSecond(),
              1,
              g.maxIdenticalCalls().getAsInt(),
              hourEnd,
              window0.isZero()
                  ? Optional.empty()
                  : Optional.of(new GuardCounters.Once("once|" + same, window0))));
      rules.add(RefusalCode.IDENTICAL_CALLS_EXCEEDED);
    }
    if (g.maxUsdPerMinuteMicros().isPresent() && estimate.micros() > 0) {
      Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
      steps.add(
          new GuardCounters.Step(
              "usd|" + minute.getEpochSecond(),
              estimate.micros(),
              g.maxUsdPerMinuteMicros().getAsLong(),
              minute.plus(Duration.ofMinutes(1)),
              Optional.empty()));
      rules.add(RefusalCode.SPEND_RATE_EXCEEDED);
    }
    if (steps.isEmpty()) {
      return Optional.empty();
    }
    GuardCounters.Tally tally;
    try {
      tally = counters.count(key.id(), steps, !g.shadow(), now);
    } catch (StoreUnavailableException e) {
      log.warn("guard counters unavailable for key {}: {}", key.id(), e.getMessage());
      return Optional.of(
          Refusal.of(
              RefusalCode.LEDGER_UNAVAILABLE,
              "the guard counters are unavailable; the call was not forwarded"));
    }
    if (tally.exceeded() < 0) {
      return Optional.empty();
    }
    int i = tally.exceeded();
    GuardCounters.Step step = steps.get(i);
    RefusalCode rule = rules.get(i);
    String action = g.shadow() ? "shadow" : g.loopAction().wireName();
    boolean suspended = false;
    if (!g.shadow() && g.loopAction() == PolicyGuards.LoopAction.SUSPEND) {
      try {
        suspended = suspension.suspend(key, LOOP_DETECTED);
      } catch (RuntimeException e) {
        log.error("could not suspend looping key {}: {}", key.id(), e.getMessage());
      }
    }
    events.tripped(key, rule.wireName(), action, key.id() + "|" + step.counterId());
    log.warn(
        "guard {} tripped for key {} ({}){}",
        rule.wireName(),
        key.id(),
        action,
        suspended ? ": key revoked, reason " + LOOP_DETECTED : "");
    return Optional.of(refusal(rule, step, tally.totals()[i], estimate, suspended));
  }

  private static Refusal refusal(
      RefusalCode rule, GuardCounters.Step step, long total, CallEstimate est, boolean suspended) {
    Map<String, Object> details = new LinkedHashMap<>();
    String message;
    switch (rule) {
      case DESTINATION_RATE_EXCEEDED -> {
        details.put("max_calls_per_destination", step.limit());
        details.put("window_end", step.expiresAt().toString());
        message =
            "this key has called one destination "
                + total
                + " times this hour, its max_calls_per_destination";
      }
      case IDENTICAL_CALLS_EXCEEDED -> {
        details.put("max_identical_calls_per_hour", step.limit());
        details.put("window_end", step.expiresAt().toString());
        message =
            "this identical call was already made "
                + total
                + " times this hour (beyond the dedup window), the key's"
                + " max_identical_calls_per_hour";
      }
      default -> {
        details.put("max_usd_per_minute", Micros.toUsd(step.limit()));
        details.put("spent_this_minute_usd", Micros.toUsd(total));
        details.put("window_end", step.expiresAt().toString());
        message =
            "this key has spent $"
                + Micros.format(total)
                + " this minute; this call ($"
                + Micros.format(est.micros())
                + ") would pass its max_usd_per_minute of $"
                + Micros.format(step.limit());
      }
    }
    if (suspended) {
      details.put("key_suspended", LOOP_DETECTED);
      message += "; the key has been revoked (loop_detected)";
    }
    return new Refusal(rule, message, details);
  }

  /** The send window's refusal when the call falls outside it for any recipient. */
  private static Optional<Refusal> outsideWindow(
      KeyRecord key, PolicyGuards.SendWindow w, CallEstimate estimate, Instant now) {
    List<ZoneId> zones = new ArrayList<>();
    if (w.zone().isPresent()) {
      zones.add(w.zone().get());
    } else {
      for (Destination d : estimate.destinations()) {
        List<ZoneId> of = RecipientZones.of(d, key.policy().timeZone());
        if (of.isEmpty()) {
          return Optional.of(
              outside(
                  w, "the local time of recipient " + d.masked() + " cannot be determined", null));
        }
        zones.addAll(of);
      }
      if (zones.isEmpty()) {
        zones.add(key.policy().timeZone()); // no recipient: the policy's own zone
      }
    }
    for (ZoneId zone : zones) { // the strictest zone wins: every one must be inside
      ZonedDateTime local = now.atZone(zone);
      LocalTime t = local.toLocalTime();
      if (!w.contains(t)) {
        return Optional.of(
            outside(
                w,
                "it is "
                    + t.truncatedTo(ChronoUnit.MINUTES)
                    + " in "
                    + zone.getId()
                    + (w.zone().isPresent() ? "" : " (the recipient's time zone)"),
                zone));
      }
    }
    return Optional.empty();
  }

  private static Refusal outside(PolicyGuards.SendWindow w, String why, ZoneId zone) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("allowed_from", w.from().toString());
    details.put("allowed_to", w.to().toString());
    if (zone != null) {
      details.put("time_zone", zone.getId());
    }
    return new Refusal(
        RefusalCode.OUTSIDE_ALLOWED_HOURS,
        why + ", outside the key's allowed_hours " + w.from() + "-" + w.to(),
        details);
  }

  private static String addresses(CallEstimate estimate) {
    List<String> out = new ArrayList<>();
    for (Destination d : estimate.destinations()) {
      out.add(address(d));
    }
    return String.join(",", out);
  }

  private static String address(Destination d) {
    return d instanceof Destination.Phone p ? p.number().e164() : ((Destination.Email) d).address();
  }

  /** 24 hex characters of SHA-256: counters never hold a phone number or address. */
  private static String digest(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
