package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.harness.sim.RecordedRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policies mean what they say, end to end through the local gateway: the documented billing-agent
 * key works verbatim, a policy field of another vendor is refused at creation, and the admin API's
 * own paths and changes stay on the admin side (audited as changes, never forwarded).
 */
class PolicyScopeIT {
  /** The key the product's documentation gives, verbatim but for the Stripe key. */
  static final String DOCUMENTED_BILLING_KEY =
      "{\"name\":\"billing-agent-prod\",\"vendor\":\"stripe\",\"stripe_secret_key\":\""
          + Gateway.STRIPE_KEY
          + "\",\"policy\":{\"daily_usd_cap\":100,\"allowed_endpoints\":[\"/v1/invoices\","
          + "\"/v1/subscriptions\",\"/v1/billing_portal/sessions\"],\"expires_in\":\"8h\"}}";

  @TempDir static Path dir;
  static Gateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = new Gateway(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @BeforeEach
  void clearSimulators() {
    gw.stripe.clear();
  }

  @Test
  void documentedBillingAgentKeyCallsWhatItNamesAndNothingElse() throws Exception {
    Gateway.Key key = gw.createKey(DOCUMENTED_BILLING_KEY);
    String auth = Gateway.bearer(key.vaultKey());

    HttpResponse<String> invoice = gw.postForm("/v1/invoices", auth, "customer=cus_123");
    assertThat(invoice.headers().firstValue("x-keybrake-refusal")).as(invoice.body()).isEmpty();
    HttpResponse<String> subscriptions = gw.get("/stripe/v1/subscriptions", auth);
    assertThat(subscriptions.headers().firstValue("x-keybrake-refusal"))
        .as(subscriptions.body())
        .isEmpty();
    assertThat(gw.stripe.received())
        .extracting(RecordedRequest::method, RecordedRequest::path)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("POST", "/v1/invoices"),
            org.assertj.core.groups.Tuple.tuple("GET", "/v1/subscriptions"));
    assertThat(gw.stripe.received().get(0).header("authorization"))
        .contains("Bearer " + Gateway.STRIPE_KEY);

    HttpResponse<String> refund = gw.postForm("/v1/refunds", auth, "charge=ch_1&amount=100");
    assertThat(refund.statusCode()).isEqualTo(403);
    assertThat(gw.body(refund).get("code").asText()).isEqualTo("endpoint_not_allowed");
    assertThat(gw.stripe.received()).hasSize(2);
  }

  @Test
  void getKeyShowsEachEntryWithTheEndpointsItReaches() throws Exception {
    Gateway.Key key = gw.createKey(DOCUMENTED_BILLING_KEY);
    JsonNode shown = gw.body(gw.admin("GET", "/keys/" + key.id(), null));
    assertThat(shown.get("policy").get("allowed_endpoints"))
        .extracting(JsonNode::asText)
        .containsExactly("/v1/invoices", "/v1/subscriptions", "/v1/billing_portal/sessions");
    assertThat(shown.get("policy").has("allowed_prefixes")).isFalse();
    assertThat(shown.get("policy").has("max_call_seconds")).isFalse();
    assertThat(shown.get("policy").get("daily_usd_cap").decimalValue()).isEqualByComparingTo("100");
    JsonNode invoices = shown.get("allowed_endpoints_expanded").get("/v1/invoices");
    assertThat(invoices)
        .extracting(n -> n.get("name").asText())
        .containsExactly(
            "invoices.pay", "invoices.finalize", "other.post", "other.get", "other.delete");
  }

  @Test
  void fieldOfAnotherVendorIsRefusedAtCreationNamingIt() throws Exception {
    HttpResponse<String> r =
        gw.admin(
            "POST",
            "/keys",
            DOCUMENTED_BILLING_KEY.replace(
                "\"daily_usd_cap\":100", "\"daily_usd_cap\":100,\"allowed_prefixes\":[\"+1\"]"));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(gw.body(r).get("message").asText()).startsWith("policy.allowed_prefixes ");
  }

  @Test
  void adminPathsAndChangesStayOnTheAdminSide() throws Exception {
    int before = gw.body(gw.admin("GET", "/audit?limit=1000", null)).get("rows").size();

    assertThat(gw.admin("GET", "/keys/key_abc/extra", null).statusCode()).isEqualTo(404);
    assertThat(gw.admin("POST", "/stripe/v1/charges", "{}").statusCode()).isEqualTo(404);
    assertThat(gw.stripe.received()).isEmpty();
    HttpResponse<String> budget =
        gw.admin(
            "POST",
            "/budgets",
            "{\"name\":\"billing-fleet\",\"selector\":{\"vendor\":\"stripe\"},\"daily_usd_cap\":500}");
    assertThat(budget.statusCode()).as(budget.body()).isEqualTo(201);

    JsonNode rows = gw.body(gw.admin("GET", "/audit?limit=1000", null)).get("rows");
    assertThat(rows.size()).isEqualTo(before + 1);
    JsonNode row = rows.get(0);
    assertThat(row.get("decision").asText()).isEqualTo("admin");
    assertThat(row.get("reason").asText()).isEqualTo("budget_created");
    assertThat(row.get("key_name").asText()).isEqualTo("billing-fleet");
    assertThat(row.get("vendor").asText()).isEqualTo("stripe");
    assertThat(row.get("actor").asText()).matches("admin_[0-9a-f]{16}");
  }
}
