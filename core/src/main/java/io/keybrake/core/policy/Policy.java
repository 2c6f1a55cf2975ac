package io.keybrake.core.policy;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The policy a vault key carries. Immutable; validated by {@link PolicyParser} at the edge.
 *
 * @param dailyCapMicros daily USD cap in micro-dollars (required, &gt; 0)
 * @param totalCapMicros lifetime cap, if any
 * @param allowedPrefixes E.164 prefixes such as {@code "+1"}; empty = any (subject to countries)
 * @param allowedCountries ISO 3166 region codes such as {@code "US"}; empty = any
 * @param allowedEndpoints endpoint names, {@code "METHOD /path"} or bare paths (every method on the
 *     path and below it), see {@link EndpointEntry}; empty = every named endpoint of the vendor
 *     spec
 * @param dedupWindow window in which an identical call is replayed; zero disables dedup
 * @param expiresIn lifetime of the key from creation, if any
 * @param maxCallSeconds Twilio call {@code TimeLimit} cap
 * @param allowPremium whether premium-rate numbers may be called/texted
 * @param timeZone the zone whose midnight starts a daily window
 * @param allowedTwimlUrls URL prefixes of TwiML Keybrake cannot see that a Twilio call may hand
 *     control to ({@code Url}, {@code <Redirect>}, {@code action} attributes); empty = none
 * @param allowedAccounts Stripe connected accounts ({@code acct_…}) the key may act on through
 *     {@code Stripe-Account}; empty = only the platform account
 * @param maxCallMicros the most one call may be estimated at ({@code max_call_usd}), if any
 * @param guards loop and velocity guards, send window and mode ({@link PolicyGuards#NONE}: none)
 */
public record Policy(
    long dailyCapMicros,
    OptionalLong totalCapMicros,
    List<String> allowedPrefixes,
    List<String> allowedCountries,
    List<String> allowedEndpoints,
    Duration dedupWindow,
    java.util.Optional<Duration> expiresIn,
    long maxCallSeconds,
    boolean allowPremium,
    ZoneId timeZone,
    List<String> allowedTwimlUrls,
    List<String> allowedAccounts,
    OptionalLong maxCallMicros,
    PolicyGuards guards) {

  public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofSeconds(60);
  public static final long DEFAULT_MAX_CALL_SECONDS = 600;

  public Policy {
    Objects.requireNonNull(totalCapMicros);
    allowedPrefixes = List.copyOf(allowedPrefixes);
    allowedCountries = List.copyOf(allowedCountries);
    allowedEndpoints = List.copyOf(allowedEndpoints);
    Objects.requireNonNull(dedupWindow);
    Objects.requireNonNull(expiresIn);
    Objects.requireNonNull(timeZone);
    allowedTwimlUrls = List.copyOf(allowedTwimlUrls);
    allowedAccounts = List.copyOf(allowedAccounts);
    Objects.requireNonNull(maxCallMicros);
    Objects.requireNonNull(guards);
  }

  /** A policy without guards, send window or shadow mode. */
  public Policy(
      long dailyCapMicros,
      OptionalLong totalCapMicros,
      List<String> allowedPrefixes,
      List<String> allowedCountries,
      List<String> allowedEndpoints,
      Duration dedupWindow,
      java.util.Optional<Duration> expiresIn,
      long maxCallSeconds,
      boolean allowPremium,
      ZoneId timeZone,
      List<String> allowedTwimlUrls,
      List<String> allowedAccounts,
      OptionalLong maxCallMicros) {
    this(
        dailyCapMicros,
        totalCapMicros,
        allowedPrefixes,
        allowedCountries,
        allowedEndpoints,
        dedupWindow,
        expiresIn,
        maxCallSeconds,
        allowPremium,
        timeZone,
        allowedTwimlUrls,
        allowedAccounts,
        maxCallMicros,
        PolicyGuards.NONE);
  }

  /** This policy with {@code guards} instead of its own. */
  public Policy withGuards(PolicyGuards guards) {
    return new Policy(
        dailyCapMicros,
        totalCapMicros,
        allowedPrefixes,
        allowedCountries,
        allowedEndpoints,
        dedupWindow,
        expiresIn,
        maxCallSeconds,
        allowPremium,
        timeZone,
        allowedTwimlUrls,
        allowedAccounts,
        maxCallMicros,
        guards);
  }

  /** A policy without a per-call limit. */
  public Policy(
      long dailyCapMicros,
      OptionalLong totalCapMicros,
      List<String> allowedPrefixes,
      List<String> allowedCountries,
      List<String> allowedEndpoints,
      Duration dedupWindow,
      java.util.Optional<Duration> expiresIn,
      long maxCallSeconds,
      boolean allowPremium,
      ZoneId timeZone,
      List<String> allowedTwimlUrls,
      List<String> allowedAccounts) {
    this(
        dailyCapMicros,
        totalCapMicros,
        allowedPrefixes,
        allowedCountries,
        allowedEndpoints,
        dedupWindow,
        expiresIn,
        maxCallSeconds,
        allowPremium,
        timeZone,
        allowedTwimlUrls,
        allowedAccounts,
        OptionalLong.empty());
  }

  /** A policy without TwiML URLs, connected accounts or a per-call limit. */
  public Policy(
      long dailyCapMicros,
      OptionalLong totalCapMicros,
      List<String> allowedPrefixes,
      List<String> allowedCountries,
      List<String> allowedEndpoints,
      Duration dedupWindow,
      java.util.Optional<Duration> expiresIn,
      long maxCallSeconds,
      boolean allowPremium,
      ZoneId timeZone) {
    this(
        dailyCapMicros,
        totalCapMicros,
        allowedPrefixes,
        allowedCountries,
        allowedEndpoints,
        dedupWindow,
        expiresIn,
        maxCallSeconds,
        allowPremium,
        timeZone,
        List.of(),
        List.of(),
        OptionalLong.empty());
  }
}
