package io.keybrake.core.destination;

import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Policies for tests: a $10/day cap and the given destination rules. */
public final class TestPolicies {
  private TestPolicies() {}

  public static Policy open() {
    return destinations(List.of(), List.of(), false);
  }

  public static Policy destinations(
      List<String> prefixes, List<String> countries, boolean allowPremium) {
    return policy(prefixes, countries, allowPremium, Policy.DEFAULT_MAX_CALL_SECONDS);
  }

  public static Policy maxCallSeconds(long seconds) {
    return policy(List.of(), List.of(), false, seconds);
  }

  private static Policy policy(
      List<String> prefixes, List<String> countries, boolean allowPremium, long maxCallSeconds) {
    return new Policy(
        10_000_000L,
        OptionalLong.empty(),
        prefixes,
        countries,
        List.of(),
        Duration.ofSeconds(60),
        Optional.<Duration>empty(),
        maxCallSeconds,
        allowPremium,
        ZoneOffset.UTC);
  }
}
