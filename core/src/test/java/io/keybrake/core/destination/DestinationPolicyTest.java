package io.keybrake.core.destination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.phone.PhoneNumbers;
import io.keybrake.core.policy.Policy;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DestinationPolicyTest {

  private static Destination phone(String raw) throws RequestRejected {
    return new Destination.Phone(PhoneNumbers.parse(raw));
  }

  private static Destination email(String raw) throws RequestRejected {
    return Destination.Email.parse(raw);
  }

  private static Optional<Refusal> check(Policy policy, Destination... destinations) {
    return DestinationPolicy.check(policy, List.of(destinations));
  }

  @Test
  void openPolicyAllowsOrdinaryNumbers() throws RequestRejected {
    assertThat(check(TestPolicies.open(), phone("+14155552671"), phone("+2348031234567")))
        .isEmpty();
  }

  @Test
  void nigerianNumberOutsideUsPrefixIsRefusedWithAMaskedMessage() throws RequestRejected {
    Optional<Refusal> refusal =
        check(
            TestPolicies.destinations(List.of("+1"), List.of(), false),
            phone("+14155552671"),
            phone("+2348031234567"));

    assertThat(refusal).isPresent();
    assertThat(refusal.get().code()).isEqualTo(RefusalCode.DESTINATION_NOT_ALLOWED);
    assertThat(refusal.get().status()).isEqualTo(403);
    assertThat(refusal.get().message())
        .isEqualTo("destination +234803123**** is not allowed: allowed prefixes are [+1]");
  }

  @Test
  void countriesComeFromLibphonenumberNotThePrefix() throws RequestRejected {
    Policy usOnly = TestPolicies.destinations(List.of(), List.of("US"), false);

    assertThat(check(usOnly, phone("+14155552671"))).isEmpty();
    // Canada shares +1 with the US but is another country
    assertThat(check(usOnly, phone("+16135550123")).orElseThrow().message())
        .isEqualTo(
            "destination +1613555**** is not allowed: its country CA is not in allowed countries [US]");
    assertThat(check(usOnly, phone("+80012345678"))).isPresent(); // ZZ is never in a list
  }

  @Test
  void prefixesAndCountriesMustBothHold() throws RequestRejected {
    Policy policy = TestPolicies.destinations(List.of("+1415"), List.of("us"), false);

    assertThat(check(policy, phone("+14155552671"))).isEmpty();
    assertThat(check(policy, phone("+12125552671"))).isPresent();
  }

  @Test
  void premiumRateIsRefusedUnlessAllowed() throws RequestRejected {
    Destination premium = phone("+449098790000");

    assertThat(check(TestPolicies.open(), premium).orElseThrow().message())
        .isEqualTo(
            "destination +44909879**** is not allowed:"
                + " premium-rate numbers are blocked by this key's policy");
    assertThat(check(TestPolicies.destinations(List.of(), List.of(), true), premium)).isEmpty();
  }

  @Test
  void whatsappNumbersAreCheckedByTheirE164() throws RequestRejected {
    Policy policy = TestPolicies.destinations(List.of("+1"), List.of(), false);

    assertThat(check(policy, phone("whatsapp:+14155552671"))).isEmpty();
    assertThat(check(policy, phone("whatsapp:+2348031234567")).orElseThrow().message())
        .startsWith("destination whatsapp:+234803123**** is not allowed");
  }

  @Test
  void emailDomainsUseAtPrefixes() throws RequestRejected {
    Policy policy = TestPolicies.destinations(List.of("+1", "@Example.com"), List.of("US"), false);

    assertThat(check(policy, email("ops@example.COM"), email("Ops Team <team@example.com>")))
        .isEmpty();
    assertThat(check(policy, email("jane@evil.test")).orElseThrow().message())
        .isEqualTo("destination j***@evil.test is not allowed: allowed domains are [@Example.com]");
    // a subdomain is another domain
    assertThat(check(policy, email("a@mail.example.com"))).isPresent();
  }

  @Test
  void phonePrefixesDoNotRestrictEmails() throws RequestRejected {
    Policy policy = TestPolicies.destinations(List.of("+1"), List.of("US"), false);

    assertThat(check(policy, email("anyone@anywhere.test"))).isEmpty();
  }

  @Test
  void emailOnlyPrefixesRefuseEveryPhone() throws RequestRejected {
    Policy policy = TestPolicies.destinations(List.of("@example.com"), List.of(), false);

    assertThat(check(policy, phone("+14155552671"))).isPresent();
  }

  @Test
  void recipientsThatAreNotOneAddressAreInvalid() {
    for (String raw :
        List.of("", "no-at", "a@b@c", "a@b.com, c@d.com", "a b@c.com", "@x.com", "a@")) {
      assertThatThrownBy(() -> Destination.Email.parse(raw))
          .isInstanceOfSatisfying(
              RequestRejected.class,
              e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.INVALID_DESTINATION));
    }
  }
}
