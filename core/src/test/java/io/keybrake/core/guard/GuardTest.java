package io.keybrake.core.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.cost.CallEstimate;
import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.phone.PhoneNumbers;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GuardTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Counters in memory, with the store's semantics (markers and windows by the caller's clock). */
  static final class MemoryCounters implements GuardCounters {
    final Map<String, long[]> values = new HashMap<>(); // id -> {total, expiresMs}

    @Override
    public synchronized Tally count(String keyId, List<Step> steps, boolean enforce, Instant now) {
      long ms = now.toEpochMilli();
      long[] totals = new long[steps.size()];
      boolean[] skip = new boolean[steps.size()];
      int exceeded = -1;
      for (int i = 0; i < steps.size(); i++) {
        Step s = steps.get(i);
        skip[i] = s.once().isPresent() && live(keyId + s.once().get().markerId(), ms) > 0;
        totals[i] = live(keyId + s.counterId(), ms);
        if (exceeded < 0 && !skip[i] && totals[i] + s.amount() > s.limit()) {
          exceeded = i;
        }
      }
      if (enforce && exceeded >= 0) {
        return new Tally(exceeded, totals);
      }
      for (int i = 0; i < steps.size(); i++) {
        Step s = steps.get(i);
        if (!skip[i]) {
          totals[i] += s.amount();
          values.put(keyId + s.counterId(), new long[] {totals[i], s.expiresAt().toEpochMilli()});
          s.once()
              .ifPresent(
                  o -> values.put(keyId + o.markerId(), new long[] {1, ms + o.ttl().toMillis()}));
        }
      }
      return new Tally(exceeded, totals);
    }

    private long live(String id, long ms) {
      long[] v = values.get(id);
      return v == null || v[1] <= ms ? 0 : v[0];
    }
  }

  final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));
  final MemoryCounters counters = new MemoryCounters();
  final List<String> suspended = new ArrayList<>();
  final Guard guard =
      new Guard(
          counters,
          (key, reason) -> {
            suspended.add(key.id() + ":" + reason);
            return true;
          },
          GuardEvents.NONE,
          clock);

  static KeyRecord key(String policyJson) throws Exception {
    Policy p = ((PolicyParser.Parsed.Ok) PolicyParser.parse(JSON.readTree(policyJson))).policy();
    return new KeyRecord(
        "key_abc",
        "bot",
        "twilio",
        Map.of(),
        p,
        "00",
        new VendorCredential.ApiKey("x"),
        Instant.parse("2026-01-01T00:00:00Z"),
        Optional.empty(),
        Optional.empty());
  }

  static CallEstimate sms(String to, String body, long micros) throws Exception {
    return new CallEstimate(
        micros,
        List.of(new Destination.Phone(PhoneNumbers.parse(to))),
        "Body=" + body + "&To=" + to,
        Optional.empty(),
        "test");
  }

  @Test
  void identicalCallsCountOncePerDedupWindow() throws Exception {
    KeyRecord k =
        key(
            "{\"daily_usd_cap\":50,\"max_identical_calls_per_hour\":2,\"dedup_window_seconds\":60}");
    CallEstimate same = sms("+14155552671", "hi", 8300);
    assertThat(guard.check(k, "messages.create", same)).isEmpty();
    clock.advance(Duration.ofSeconds(10)); // a retry within the window: the dedup cache's
    assertThat(guard.check(k, "messages.create", same)).isEmpty();
    clock.advance(Duration.ofSeconds(60));
    assertThat(guard.check(k, "messages.create", same)).isEmpty();
    clock.advance(Duration.ofSeconds(61));
    Optional<Refusal> third = guard.check(k, "messages.create", same);
    assertThat(third).map(Refusal::code).contains(RefusalCode.IDENTICAL_CALLS_EXCEEDED);
    assertThat(third.get().status()).isEqualTo(429);
    // a different body is another call
    assertThat(guard.check(k, "messages.create", sms("+14155552671", "bye", 8300))).isEmpty();
    assertThat(suspended).isEmpty(); // loop_action alert
  }

  @Test
  void spendPerMinuteRefusesTheCallThatWouldPassItAndTheNextMinuteStartsAgain() throws Exception {
    KeyRecord k =
        key("{\"daily_usd_cap\":50,\"max_usd_per_minute\":0.02,\"loop_action\":\"suspend\"}");
    assertThat(guard.check(k, "m", sms("+14155552671", "a", 10_000))).isEmpty();
    assertThat(guard.check(k, "m", sms("+14155552672", "b", 10_000))).isEmpty();
    Optional<Refusal> third = guard.check(k, "m", sms("+14155552673", "c", 1));
    assertThat(third).map(Refusal::code).contains(RefusalCode.SPEND_RATE_EXCEEDED);
    assertThat(third.get().details()).containsEntry("key_suspended", "loop_detected");
    assertThat(suspended).containsExactly("key_abc:loop_detected");
    clock.advance(Duration.ofMinutes(1));
    assertThat(guard.check(k, "m", sms("+14155552673", "c", 10_000))).isEmpty();
  }

  @Test
  void shadowModeCountsEveryCallReportsAndNeverSuspends() throws Exception {
    KeyRecord k =
        key(
            "{\"daily_usd_cap\":50,\"max_calls_per_destination\":1,\"loop_action\":\"suspend\","
                + "\"mode\":\"shadow\"}");
    assertThat(guard.check(k, "m", sms("+14155552671", "a", 1))).isEmpty();
    assertThat(guard.check(k, "m", sms("+14155552671", "b", 1)))
        .map(Refusal::code)
        .contains(RefusalCode.DESTINATION_RATE_EXCEEDED);
    assertThat(suspended).isEmpty();
  }

  @Test
  void anUnreachableCounterStoreFailsClosed() throws Exception {
    Guard down =
        new Guard(
            (keyId, steps, enforce, now) -> {
              throw new StoreUnavailableException("down");
            },
            KeySuspension.NONE,
            GuardEvents.NONE,
            clock);
    KeyRecord k = key("{\"daily_usd_cap\":50,\"max_calls_per_destination\":5}");
    assertThat(down.check(k, "m", sms("+14155552671", "a", 1)))
        .map(Refusal::code)
        .contains(RefusalCode.LEDGER_UNAVAILABLE);
    // a policy without counting guards never asks the store
    assertThat(down.check(key("{\"daily_usd_cap\":50}"), "m", sms("+14155552671", "a", 1)))
        .isEmpty();
  }

  @Test
  void aWindowAcrossMidnightInANamedZone() throws Exception {
    KeyRecord k =
        key(
            "{\"daily_usd_cap\":50,\"allowed_hours\":{\"from\":\"22:00\",\"to\":\"06:00\","
                + "\"time_zone\":\"Europe/Paris\"}}");
    // 12:00 UTC is 13:00 in Paris: outside 22:00-06:00
    assertThat(guard.check(k, "m", sms("+14155552671", "a", 1)))
        .map(Refusal::code)
        .contains(RefusalCode.OUTSIDE_ALLOWED_HOURS);
    clock.advance(Duration.ofHours(11)); // 23:00 UTC, midnight in Paris
    assertThat(guard.check(k, "m", sms("+14155552671", "a", 1))).isEmpty();
  }

  @Test
  void newYorkAt2130IsRefusedWhileHonoluluAt1630Passes() throws Exception {
    clock.advance(Duration.ofMinutes(14 * 60 + 30)); // 2026-11-23T02:30Z
    KeyRecord k =
        key("{\"daily_usd_cap\":50,\"allowed_hours\":{\"from\":\"08:00\",\"to\":\"21:00\"}}");
    Optional<Refusal> ny = guard.check(k, "m", sms("+12125550143", "sale", 1));
    assertThat(ny).map(Refusal::code).contains(RefusalCode.OUTSIDE_ALLOWED_HOURS);
    assertThat(ny.get().message()).contains("21:30").contains("America/New_York");
    assertThat(guard.check(k, "m", sms("+18085550143", "sale", 1))).isEmpty();
  }
}
