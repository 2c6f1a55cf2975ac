package io.keybrake.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.destination.TestPolicies;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForwardedHeadersTest {
  private static final VendorRegistry VENDORS = VendorRegistry.loadDefault();
  private static final VendorSpec STRIPE = VENDORS.find("stripe").orElseThrow();
  private static final VendorSpec TWILIO = VENDORS.find("twilio").orElseThrow();

  private static RequestHead head(String... nameValues) {
    List<Map.Entry<String, String>> headers = new java.util.ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.add(Map.entry(nameValues[i], nameValues[i + 1]));
    }
    return new RequestHead("POST", "/v1/charges", "api.stripe.com", headers, false);
  }

  private static Policy accounts(List<String> accounts) {
    return new Policy(
        10_000_000L,
        OptionalLong.empty(),
        List.of(),
        List.of(),
        List.of(),
        Duration.ofSeconds(60),
        Optional.empty(),
        600,
        false,
        ZoneOffset.UTC,
        List.of(),
        accounts);
  }

  @Test
  void onlyTheVendorsHeadersAreForwarded() {
    RequestHead h =
        head(
            ":path", "/v1/charges",
            "Content-Type", "application/x-www-form-urlencoded",
            "Stripe-Version", "2024-06-20",
            "Idempotency-Key", "k1",
            "Authorization", "Bearer vault_key_x",
            "Proxy-Authorization", "Basic dmF1bHRfa2V5",
            "X-Admin-Key", "admin",
            "x-keybrake-key-id", "key_other",
            "x-keybrake-budget", "none",
            "Cookie", "a=b",
            "x-envoy-retry-on", "5xx",
            "content-length", "10");

    assertThat(ForwardedHeaders.toDrop(h, STRIPE, ForwardedHeaders.KEYBRAKE_SETS))
        .containsExactly("proxy-authorization", "x-admin-key", "x-keybrake-budget", "cookie");
    assertThat(ForwardedHeaders.check(h, STRIPE, TestPolicies.open())).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
        "X-Original-URL",
        "X-Rewrite-URL"
      })
  void aHeaderThatChangesTheMethodOrPathIsRefused(String name) {
    Optional<Refusal> r = ForwardedHeaders.check(head(name, "DELETE"), TWILIO, TestPolicies.open());

    assertThat(r).get().extracting(Refusal::code).isEqualTo(RefusalCode.UNREADABLE_REQUEST);
  }

  @Test
  void repeatedOrConflictingFramingAndTypeHeadersAreRefused() {
    List<RequestHead> heads =
        List.of(
            head(
                "content-type", "application/x-www-form-urlencoded",
                "content-type", "application/json"),
            head("content-length", "5", "content-length", "7"),
            head("content-length", "5", "transfer-encoding", "chunked"),
            head("transfer-encoding", "gzip, chunked"),
            head("idempotency-key", "a", "idempotency-key", "b"),
            head("stripe-version", "a", "stripe-version", "b"));
    for (RequestHead h : heads) {
      assertThat(ForwardedHeaders.check(h, STRIPE, TestPolicies.open()))
          .as(h.headers().toString())
          .get()
          .extracting(Refusal::code)
          .isEqualTo(RefusalCode.UNREADABLE_REQUEST);
    }
  }

  @Test
  void stripeAccountIsForwardedOnlyForAnAccountThePolicyLists() {
    RequestHead h = head("Stripe-Account", "acct_123");

    assertThat(ForwardedHeaders.check(h, STRIPE, accounts(List.of())))
        .get()
        .extracting(Refusal::code)
        .isEqualTo(RefusalCode.ENDPOINT_NOT_ALLOWED);
    assertThat(ForwardedHeaders.check(h, STRIPE, accounts(List.of("acct_999")))).isPresent();
    assertThat(ForwardedHeaders.check(h, STRIPE, accounts(List.of("acct_123")))).isEmpty();
    assertThat(ForwardedHeaders.toDrop(h, STRIPE, ForwardedHeaders.KEYBRAKE_SETS)).isEmpty();
    assertThat(ForwardedHeaders.toDrop(h, TWILIO, ForwardedHeaders.KEYBRAKE_SETS))
        .containsExactly("stripe-account");
  }
}
