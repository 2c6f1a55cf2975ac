package io.keybrake.core.destination;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.phone.PhoneDestination;
import io.keybrake.core.policy.Policy;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks destinations against a key's policy ({@code allowed_prefixes}, {@code allowed_countries},
 * premium-rate block). Phones: every number must start with one of the allowed prefixes (when there
 * are any) and be in an allowed country (when there are any); premium-rate numbers are refused
 * unless the policy allows them. Emails: prefixes starting with {@code '@'} name allowed domains
 * (exact, case-insensitive); other prefixes do not apply to emails. The first violation is
 * returned. Thread-safe (stateless).
 */
public final class DestinationPolicy {
  private DestinationPolicy() {}

  /** The refusal for the first destination the policy does not allow, if any. */
  public static Optional<Refusal> check(Policy policy, List<Destination> destinations) {
    for (Destination d : destinations) {
      Optional<String> rule =
          d instanceof Destination.Phone p
              ? phoneRule(policy, p.number())
              : emailRule(policy, (Destination.Email) d);
      if (rule.isPresent()) {
        return Optional.of(
            Refusal.of(
                RefusalCode.DESTINATION_NOT_ALLOWED,
                "destination " + d.masked() + " is not allowed: " + rule.get()));
      }
    }
    return Optional.empty();
  }

  private static Optional<String> phoneRule(Policy policy, PhoneDestination number) {
    List<String> prefixes = policy.allowedPrefixes();
    if (!prefixes.isEmpty() && prefixes.stream().noneMatch(number.e164()::startsWith)) {
      return Optional.of("allowed prefixes are " + prefixes);
    }
    List<String> countries = policy.allowedCountries();
    if (!countries.isEmpty()
        && countries.stream().noneMatch(c -> c.equalsIgnoreCase(number.regionCode()))) {
      return Optional.of(
          "its country " + number.regionCode() + " is not in allowed countries " + countries);
    }
    if (number.premiumRate() && !policy.allowPremium()) {
      return Optional.of("premium-rate numbers are blocked by this key's policy");
    }
    return Optional.empty();
  }

  private static Optional<String> emailRule(Policy policy, Destination.Email email) {
    List<String> domains =
        policy.allowedPrefixes().stream().filter(p -> p.startsWith("@")).toList();
    if (domains.isEmpty()) {
      return Optional.empty();
    }
    String domain = email.domain().toLowerCase(Locale.ROOT);
    if (domains.stream().noneMatch(p -> p.substring(1).equalsIgnoreCase(domain))) {
      return Optional.of("allowed domains are " + domains);
    }
    return Optional.empty();
  }
}
