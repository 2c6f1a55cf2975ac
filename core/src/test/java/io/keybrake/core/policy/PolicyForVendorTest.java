package io.keybrake.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyForVendorTest {
  private static final ObjectMapper EXACT =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final VendorRegistry VENDORS = VendorRegistry.loadDefault();

  private static PolicyParser.Parsed parse(String vendor, String policy) throws Exception {
    JsonNode node = EXACT.readTree(policy.replace('\'', '"'));
    return PolicyParser.parse(node, VENDORS.find(vendor).orElseThrow());
  }

  private static Policy ok(String vendor, String policy) throws Exception {
    PolicyParser.Parsed p = parse(vendor, policy);
    assertThat(p).as(p.toString()).isInstanceOf(PolicyParser.Parsed.Ok.class);
    return ((PolicyParser.Parsed.Ok) p).policy();
  }

  private static boolean allows(Policy policy, String vendor, String method, String path) {
    VendorSpec spec = VENDORS.find(vendor).orElseThrow();
    EndpointMatch m = spec.match(method, path).orElseThrow();
    return policy.allowedEndpoints().stream()
        .map(EndpointEntry::parse)
        .anyMatch(e -> e.orElseThrow().allows(m.endpoint(), method, path));
  }

  @Test
  void documentedBillingAgentPolicyAllowsItsPathsAndNothingElse() throws Exception {
    Policy p =
        ok(
            "stripe",
            "{'daily_usd_cap':100,'allowed_endpoints':['/v1/invoices','/v1/subscriptions',"
                + "'/v1/billing_portal/sessions'],'expires_in':'8h'}");

    assertThat(allows(p, "stripe", "POST", "/v1/invoices")).isTrue();
    assertThat(allows(p, "stripe", "GET", "/v1/invoices/in_123")).isTrue();
    assertThat(allows(p, "stripe", "POST", "/v1/invoices/in_123/pay")).isTrue();
    assertThat(allows(p, "stripe", "GET", "/v1/subscriptions")).isTrue();
    assertThat(allows(p, "stripe", "POST", "/v1/billing_portal/sessions")).isTrue();
    assertThat(allows(p, "stripe", "POST", "/v1/refunds")).isFalse();
    assertThat(allows(p, "stripe", "POST", "/v1/invoicesx")).isFalse();
    assertThat(allows(p, "stripe", "GET", "/v1/customers")).isFalse();
  }

  @Test
  void entriesComeBackInCanonicalForm() throws Exception {
    Policy p =
        ok(
            "stripe",
            "{'daily_usd_cap':1,'allowed_endpoints':['post   /v1/charges','/v1/invoices/',"
                + "'refunds.create',' /v1/invoices ']}");
    assertThat(p.allowedEndpoints())
        .containsExactly("POST /v1/charges", "/v1/invoices", "refunds.create");
  }

  @Test
  void expansionShowsWhatABarePathReaches() throws Exception {
    Policy p = ok("stripe", "{'daily_usd_cap':1,'allowed_endpoints':['/v1/invoices']}");
    Map<String, List<EndpointSpec>> of =
        AllowedEndpoints.of(p, VENDORS.find("stripe").orElseThrow());
    assertThat(of.get("/v1/invoices"))
        .extracting(EndpointSpec::name)
        .containsExactly(
            "invoices.pay", "invoices.finalize", "other.post", "other.get", "other.delete");
    Policy twilio =
        ok(
            "twilio",
            "{'daily_usd_cap':1,'allowed_endpoints':['POST /2010-04-01/Accounts/*/Messages.json']}");
    assertThat(
            AllowedEndpoints.of(twilio, VENDORS.find("twilio").orElseThrow())
                .get("POST /2010-04-01/Accounts/*/Messages.json"))
        .extracting(EndpointSpec::name)
        .containsExactly("messages.create");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "stripe | {'daily_usd_cap':1,'allowed_prefixes':['+1']} | allowed_prefixes",
        "stripe | {'daily_usd_cap':1,'allowed_countries':['US']} | allowed_countries",
        "stripe | {'daily_usd_cap':1,'allow_premium':true} | allow_premium",
        "resend | {'daily_usd_cap':1,'max_call_seconds':60} | max_call_seconds",
        "twilio | {'daily_usd_cap':1,'allowed_prefixes':['@example.com']} | allowed_prefixes",
        "resend | {'daily_usd_cap':1,'allowed_prefixes':['+44']} | allowed_prefixes",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['GRAB /v1/charges']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['v1/charges']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['/v1/../charges']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['/v1//charges']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['/v1/**/x']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['POST /v1/charges extra']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['messages.create']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['/2010-04-01/Accounts']} | allowed_endpoints",
        "twilio | {'daily_usd_cap':1,'allowed_endpoints':['/v1/invoices']} | allowed_endpoints",
        "resend | {'daily_usd_cap':1,'allowed_endpoints':['DELETE /emails']} | allowed_endpoints",
        "stripe | {'daily_usd_cap':1,'allowed_endpoints':['other.get']} | allowed_endpoints",
      })
  void policyThatDoesNotFitTheVendorIsRefusedNamingTheField(
      String vendor, String policy, String field) throws Exception {
    PolicyParser.Parsed p = parse(vendor, policy);
    assertThat(p).isInstanceOf(PolicyParser.Parsed.Invalid.class);
    assertThat(((PolicyParser.Parsed.Invalid) p).field()).isEqualTo(field);
    assertThat(((PolicyParser.Parsed.Invalid) p).message()).startsWith(field + " ");
  }

  @Test
  void entryThatDoesNotParseAllowsNothingAtRequestTime() {
    assertThat(EndpointEntry.parse("GRAB /v1/x")).isEmpty();
    assertThat(EndpointEntry.parse("/v1/%2e%2e")).isEmpty();
    assertThat(EndpointEntry.parse("/")).get().extracting(EndpointEntry::canonical).isEqualTo("/");
  }
}
