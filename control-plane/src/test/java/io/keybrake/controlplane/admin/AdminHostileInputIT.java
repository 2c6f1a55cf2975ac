package io.keybrake.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile admin input, generated from tables: policies with fields that do not apply to the key's
 * vendor, prefixes of the wrong kind, {@code allowed_endpoints} entries of invalid syntax or that
 * reach nothing, unknown and mistyped fields, values out of range, and requests addressed to the
 * admin API on paths it does not own. Each case states the expected status, code and the field the
 * message must name, and asserts that nothing was stored, nothing was audited, no secret was echoed
 * and nothing reached the gateway behind the admin API.
 */
class AdminHostileInputIT {
  private static final String SID = "AC" + "0123456789abcdef0123456789abcdef";
  private static final String SECRET = "SECRETx9";
  private static final Map<String, String> CREDENTIALS =
      Map.of(
          "twilio",
          "\"twilio_account_sid\":\"" + SID + "\",\"twilio_auth_token\":\"tok" + SECRET + "\"",
          "stripe",
          "\"stripe_secret_key\":\"sk_test_" + SECRET + "\"",
          "resend",
          "\"resend_api_key\":\"re_" + SECRET + "\"");

  private static AdminServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new AdminServer();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @BeforeEach
  void nothingYet() {
    assertThat(server.keys.list()).isEmpty();
  }

  private static String body(String vendor, String policy) {
    return "{\"name\":\"agent\",\"vendor\":\""
        + vendor
        + "\","
        + CREDENTIALS.get(vendor)
        + ",\"policy\":"
        + policy.replace('\'', '"')
        + "}";
  }

  /** vendor, policy (single quotes for double), the field the message must name. */
  static Stream<Arguments> badPolicies() {
    List<Arguments> cases = new ArrayList<>();
    // fields that do not apply to the vendor
    Map<String, String> vendorFields =
        Map.of(
            "allowed_prefixes", "['+1']",
            "allowed_countries", "['US']",
            "allow_premium", "true",
            "max_call_seconds", "60");
    vendorFields.forEach(
        (field, value) -> {
          cases.add(
              Arguments.of(
                  "stripe",
                  "{'daily_usd_cap':1,'" + field + "':" + value + "}",
                  "policy." + field));
          if (!field.equals("allowed_prefixes")) {
            cases.add(
                Arguments.of(
                    "resend",
                    "{'daily_usd_cap':1,'" + field + "':" + value + "}",
                    "policy." + field));
          }
        });
    // prefixes of the wrong kind
    cases.add(
        Arguments.of(
            "twilio",
            "{'daily_usd_cap':1,'allowed_prefixes':['@example.com']}",
            "allowed_prefixes"));
    cases.add(
        Arguments.of(
            "resend", "{'daily_usd_cap':1,'allowed_prefixes':['+44']}", "allowed_prefixes"));
    // allowed_endpoints entries that are not valid syntax, for every vendor
    List<String> badEntries =
        List.of(
            "''",
            "'   '",
            "'GRAB /v1/charges'",
            "'post'",
            "'v1/charges'",
            "'/v1/../charges'",
            "'/v1/./charges'",
            "'/v1//charges'",
            "'/v1/**/charges'",
            "'POST /v1/charges extra'",
            "'POST  '",
            "'/v1/%2e%2e'",
            "'/v1/charges?expand=x'",
            "'/v1/charges#x'",
            "'/v1/\\\\u0000'",
            "'/v1/{'",
            "'/v1/{1x}'",
            "'*'",
            "'**'",
            "'Messages.Create'",
            "'" + "/x".repeat(200) + "'",
            "5",
            "null",
            "{'a':1}",
            "['/v1']");
    for (String vendor : List.of("twilio", "stripe", "resend")) {
      for (String entry : badEntries) {
        cases.add(
            Arguments.of(
                vendor,
                "{'daily_usd_cap':1,'allowed_endpoints':[" + entry + "]}",
                "allowed_endpoints"));
      }
      cases.add(
          Arguments.of(
              vendor, "{'daily_usd_cap':1,'allowed_endpoints':'/v1'}", "allowed_endpoints"));
    }
    // entries that are valid syntax but reach no endpoint of the vendor
    cases.add(
        Arguments.of(
            "stripe", "{'daily_usd_cap':1,'allowed_endpoints':['messages.create']}", "entry 1"));
    cases.add(
        Arguments.of("stripe", "{'daily_usd_cap':1,'allowed_endpoints':['other.get']}", "entry 1"));
    cases.add(
        Arguments.of(
            "stripe",
            "{'daily_usd_cap':1,'allowed_endpoints':['/v1/charges','/2010-04-01/Accounts']}",
            "entry 2"));
    cases.add(
        Arguments.of(
            "twilio", "{'daily_usd_cap':1,'allowed_endpoints':['/v1/invoices']}", "entry 1"));
    cases.add(
        Arguments.of(
            "twilio", "{'daily_usd_cap':1,'allowed_endpoints':['emails.send']}", "entry 1"));
    cases.add(
        Arguments.of(
            "resend", "{'daily_usd_cap':1,'allowed_endpoints':['DELETE /emails']}", "entry 1"));
    cases.add(
        Arguments.of(
            "resend", "{'daily_usd_cap':1,'allowed_endpoints':['PUT /emails/**']}", "entry 1"));
    // unknown and mistyped fields
    for (String typo :
        List.of(
            "daily_cap",
            "allowed_endpoint",
            "allowedEndpoints",
            "DAILY_USD_CAP",
            "",
            "vault_key",
            "policy")) {
      cases.add(
          Arguments.of(
              "stripe", "{'daily_usd_cap':1,'" + typo + "':1}", "is not a known policy field"));
    }
    // values out of range or of the wrong type
    List<String[]> values =
        List.of(
            new String[] {"daily_usd_cap", "0"},
            new String[] {"daily_usd_cap", "-1"},
            new String[] {"daily_usd_cap", "'100'"},
            new String[] {"daily_usd_cap", "1000000001"},
            new String[] {"daily_usd_cap", "0.0000001"},
            new String[] {"daily_usd_cap", "true"},
            new String[] {"daily_usd_cap", "[1]"},
            new String[] {"total_usd_cap", "-5"},
            new String[] {"dedup_window_seconds", "-1"},
            new String[] {"dedup_window_seconds", "86401"},
            new String[] {"dedup_window_seconds", "1.5"},
            new String[] {"dedup_window_seconds", "'60'"},
            new String[] {"expires_in", "'0s'"},
            new String[] {"expires_in", "'-1h'"},
            new String[] {"expires_in", "'8 hours'"},
            new String[] {"expires_in", "8"},
            new String[] {"expires_in", "'9000h'"},
            new String[] {"time_zone", "'Mars/Olympus_Mons'"},
            new String[] {"time_zone", "5"});
    for (String[] v : values) {
      String policy =
          v[0].equals("daily_usd_cap")
              ? "{'daily_usd_cap':" + v[1] + "}"
              : "{'daily_usd_cap':1,'" + v[0] + "':" + v[1] + "}";
      cases.add(Arguments.of("stripe", policy, "policy." + v[0]));
    }
    cases.add(
        Arguments.of("twilio", "{'daily_usd_cap':1,'max_call_seconds':0}", "max_call_seconds"));
    cases.add(
        Arguments.of("twilio", "{'daily_usd_cap':1,'max_call_seconds':14401}", "max_call_seconds"));
    cases.add(Arguments.of("twilio", "{'daily_usd_cap':1,'allow_premium':'yes'}", "allow_premium"));
    cases.add(
        Arguments.of(
            "twilio", "{'daily_usd_cap':1,'allowed_prefixes':['1415']}", "allowed_prefixes"));
    cases.add(
        Arguments.of(
            "twilio", "{'daily_usd_cap':1,'allowed_countries':['XX']}", "allowed_countries"));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badPolicies")
  void badPolicyIsRefusedAtCreationNamingTheField(String vendor, String policy, String field)
      throws Exception {
    HttpResponse<String> r = server.admin("POST", "/keys", body(vendor, policy));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode answer = AdminServer.json(r);
    assertThat(answer.get("code").asText()).isEqualTo("invalid_request");
    assertThat(answer.get("message").asText()).contains(field);
    assertThat(r.body()).doesNotContain(SECRET).doesNotContain(SID);
    assertThat(server.keys.list()).isEmpty();
    assertThat(server.auditRows()).isEmpty();
    assertThat(server.reachedGateway.get()).isZero();
  }

  /** Bodies that are not a key request at all; the message names the field at fault. */
  static Stream<Arguments> badBodies() {
    String policy = "\"policy\":{\"daily_usd_cap\":1}";
    return Stream.of(
        Arguments.of(
            "{\"name\":\"a\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"vault_key_"
                + "A".repeat(40)
                + "\","
                + policy
                + "}",
            "stripe_secret_key"),
        Arguments.of(
            "{\"name\":\"a\",\"vendor\":\"twilio\",\"stripe_secret_key\":\"sk_test_"
                + SECRET
                + "\","
                + policy
                + "}",
            "stripe_secret_key"),
        Arguments.of(
            "{\"name\":\"a\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_"
                + SECRET
                + "\",\"id\":\"key_mine\","
                + policy
                + "}",
            "id"),
        Arguments.of(
            "{\"name\":\"a\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_"
                + SECRET
                + "\",\"vault_key\":\"vault_key_x\","
                + policy
                + "}",
            "vault_key"),
        Arguments.of(
            "{\"name\":\"a\",\"vendor\":\"Stripe\",\"stripe_secret_key\":\"sk_test_"
                + SECRET
                + "\","
                + policy
                + "}",
            "vendor"),
        Arguments.of(
            "{\"name\":\"a\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_ "
                + SECRET
                + "\","
                + policy
                + "}",
            "stripe_secret_key"),
        Arguments.of(
            "{\"name\":\"a\\u0000b\",\"vendor\":\"stripe\",\"stripe_secret_key\":\"sk_test_"
                + SECRET
                + "\","
                + policy
                + "}",
            "name"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badBodies")
  void badKeyRequestIsRefusedNamingTheField(String body, String field) throws Exception {
    HttpResponse<String> r = server.admin("POST", "/keys", body);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(AdminServer.json(r).get("message").asText()).contains(field);
    assertThat(r.body()).doesNotContain(SECRET).doesNotContain("vault_key_A");
    assertThat(server.keys.list()).isEmpty();
    assertThat(server.auditRows()).isEmpty();
  }

  /** method, path, whether the admin key is sent, expected status and code. */
  static Stream<Arguments> adminRoutes() {
    List<Arguments> cases = new ArrayList<>();
    List<String> unowned =
        List.of(
            "/keys/key_a/b",
            "/keys/key_a/spend/x",
            "/keys/",
            "/audit/verify",
            "/budgets/b1",
            "/budgets/b1/spend");
    for (String path : unowned) {
      for (String method : List.of("GET", "POST", "DELETE", "PUT")) {
        cases.add(Arguments.of(method, path, true, 404, "not_found"));
        cases.add(Arguments.of(method, path, false, 401, "unauthorized"));
      }
    }
    // with the admin header, a vendor path is still the admin API's (never forwarded)
    for (String path :
        List.of(
            "/v1/charges",
            "/stripe/v1/refunds",
            "/twilio/2010-04-01/Accounts/" + SID + "/Messages.json",
            "/emails",
            "/")) {
      cases.add(Arguments.of("POST", path, true, 404, "not_found"));
    }
    cases.add(Arguments.of("PATCH", "/keys", true, 405, "method_not_allowed"));
    cases.add(Arguments.of("PUT", "/audit", true, 405, "method_not_allowed"));
    cases.add(Arguments.of("GET", "/keys/key_%2e%2e", true, 404, "not_found"));
    cases.add(Arguments.of("GET", "/keys/vault_key_" + "B".repeat(40), true, 404, "not_found"));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} admin={2}")
  @MethodSource("adminRoutes")
  void adminRequestOnAPathItDoesNotOwnIsAnAdminErrorNeverAGatewayCall(
      String method, String path, boolean withKey, int status, String code) throws Exception {
    HttpResponse<String> r =
        withKey
            ? server.admin(method, path, method.equals("GET") ? null : "{}")
            : server.send(method, path, null);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(AdminServer.json(r).get("code").asText()).isEqualTo(code);
    assertThat(r.body()).doesNotContain("vault_key_B").doesNotContain(SID);
    assertThat(server.reachedGateway.get()).isZero();
    assertThat(server.auditRows()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("legitimatePolicies")
  void legitimatePolicyIsStoredAsKeybrakeUnderstoodIt(
      String vendor, String policy, List<String> canonical) throws Exception {
    HttpResponse<String> r = server.admin("POST", "/keys", body(vendor, policy));
    try {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      ObjectNode shown = (ObjectNode) AdminServer.json(r);
      List<String> entries = new ArrayList<>();
      shown.get("policy").get("allowed_endpoints").forEach(e -> entries.add(e.asText()));
      assertThat(entries).isEqualTo(canonical);
      for (String entry : canonical) {
        assertThat(shown.get("allowed_endpoints_expanded").get(entry)).isNotEmpty();
      }
    } finally {
      server.keys.clear();
      server.audit.clear();
    }
  }

  static Stream<Arguments> legitimatePolicies() {
    return Stream.of(
        Arguments.of(
            "stripe",
            "{'daily_usd_cap':100,'allowed_endpoints':['/v1/invoices','/v1/subscriptions',"
                + "'/v1/billing_portal/sessions'],'expires_in':'8h'}",
            List.of("/v1/invoices", "/v1/subscriptions", "/v1/billing_portal/sessions")),
        Arguments.of(
            "stripe",
            "{'daily_usd_cap':1,'allowed_endpoints':['post /v1/charges/','refunds.create']}",
            List.of("POST /v1/charges", "refunds.create")),
        Arguments.of(
            "twilio",
            "{'daily_usd_cap':1,'allowed_prefixes':['+1'],'allowed_endpoints':"
                + "['messages.create','GET /2010-04-01/Accounts/*/Messages/**']}",
            List.of("messages.create", "GET /2010-04-01/Accounts/*/Messages/**")),
        Arguments.of(
            "resend",
            "{'daily_usd_cap':1,'allowed_prefixes':['@Example.com'],'allowed_endpoints':['/emails']}",
            List.of("/emails")));
  }
}
