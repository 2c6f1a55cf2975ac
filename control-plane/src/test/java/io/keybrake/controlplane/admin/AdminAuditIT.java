package io.keybrake.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditRecord;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every change made through the admin API is a row of the hash-chained audit log. */
class AdminAuditIT {
  private static final String STRIPE_BODY =
      "{\"name\":\"billing-agent-prod\",\"vendor\":\"stripe\","
          + "\"stripe_secret_key\":\"sk_test_admin_audit_0001\",\"labels\":{\"team\":\"billing\"},"
          + "\"policy\":{\"daily_usd_cap\":100,\"allowed_endpoints\":[\"/v1/invoices\","
          + "\"/v1/subscriptions\",\"/v1/billing_portal/sessions\"],\"expires_in\":\"8h\"}}";

  private AdminServer server;

  @BeforeEach
  void start() throws Exception {
    server = new AdminServer();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void creatingAndRevokingAKeyAreChainedRowsNamingTheAdminKeyById() throws Exception {
    HttpResponse<String> created = server.admin("POST", "/keys", STRIPE_BODY);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = AdminServer.json(created).get("id").asText();
    server.clock.advance(java.time.Duration.ofMinutes(5));
    assertThat(server.admin("DELETE", "/keys/" + id, null).statusCode()).isEqualTo(200);

    List<AuditRecord> rows = server.auditRows();
    assertThat(rows).hasSize(2);
    AuditEntry revoke = rows.get(0).entry();
    AuditEntry create = rows.get(1).entry();
    String actor = AdminAudit.actorId(AdminServer.ADMIN_KEY);
    assertThat(actor).matches("admin_[0-9a-f]{16}");
    assertThat(create.decision()).isEqualTo("admin");
    assertThat(create.reason()).isEqualTo("key_created");
    assertThat(create.method() + " " + create.endpoint()).isEqualTo("POST /keys");
    assertThat(create.keyId()).isEqualTo(id);
    assertThat(create.keyName()).isEqualTo("billing-agent-prod");
    assertThat(create.vendor()).isEqualTo("stripe");
    assertThat(create.labels()).containsEntry("team", "billing");
    assertThat(create.vendorObjectId()).isEqualTo(actor);
    assertThat(create.at()).isEqualTo(java.time.Instant.parse("2026-11-22T10:00:00Z"));
    assertThat(revoke.reason()).isEqualTo("key_revoked");
    assertThat(revoke.method() + " " + revoke.endpoint()).isEqualTo("DELETE /keys/{id}");
    assertThat(revoke.at()).isEqualTo(java.time.Instant.parse("2026-11-22T10:05:00Z"));
    assertThat(server.audit.verify().ok()).isTrue();

    HttpResponse<String> shown = server.admin("GET", "/audit?key_id=" + id, null);
    JsonNode shownRows = AdminServer.json(shown).get("rows");
    assertThat(shownRows).hasSize(2);
    assertThat(shownRows.get(0).get("actor").asText()).isEqualTo(actor);
    assertThat(shownRows.get(1).get("reason").asText()).isEqualTo("key_created");
    assertThat(shown.body())
        .doesNotContain(AdminServer.ADMIN_KEY)
        .doesNotContain("sk_test_admin_audit_0001")
        .doesNotContain("vault_key_");
  }

  @Test
  void revokingKeysByLabelWritesAKeyRevokedRowForEachKey() throws Exception {
    String first = AdminServer.json(server.admin("POST", "/keys", STRIPE_BODY)).get("id").asText();
    String second =
        AdminServer.json(
                server.admin("POST", "/keys", STRIPE_BODY.replace("billing-agent-prod", "second")))
            .get("id")
            .asText();
    server.admin(
        "POST", "/keys", STRIPE_BODY.replace("\"team\":\"billing\"", "\"team\":\"support\""));
    server.clock.advance(java.time.Duration.ofMinutes(5));

    HttpResponse<String> revoked = server.admin("DELETE", "/keys?label=team:billing", null);
    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
    assertThat(AdminServer.json(revoked).get("revoked").asInt()).isEqualTo(2);

    List<AuditEntry> revocations =
        server.auditRows().stream()
            .map(AuditRecord::entry)
            .filter(e -> "key_revoked".equals(e.reason()))
            .toList();
    assertThat(revocations).extracting(AuditEntry::keyId).containsExactlyInAnyOrder(first, second);
    for (AuditEntry e : revocations) {
      assertThat(e.decision()).isEqualTo("admin");
      assertThat(e.method() + " " + e.endpoint()).isEqualTo("DELETE /keys");
      assertThat(e.labels()).containsEntry("team", "billing");
      assertThat(e.vendorObjectId()).isEqualTo(AdminAudit.actorId(AdminServer.ADMIN_KEY));
      assertThat(e.at()).isEqualTo(java.time.Instant.parse("2026-11-22T10:05:00Z"));
    }
    assertThat(server.audit.verify().ok()).isTrue();
    JsonNode shown = AdminServer.json(server.admin("GET", "/audit?key_id=" + first, null));
    assertThat(shown.get("rows").get(0).get("reason").asText()).isEqualTo("key_revoked");
  }

  @Test
  void refusedChangesWriteNoRow() throws Exception {
    assertThat(server.admin("DELETE", "/keys/key_doesnotexist", null).statusCode()).isEqualTo(404);
    assertThat(server.send("POST", "/keys", STRIPE_BODY, "Content-Type", "application/json"))
        .extracting(HttpResponse::statusCode)
        .isEqualTo(401);
    assertThat(server.admin("POST", "/keys", STRIPE_BODY.replace("100", "0")).statusCode())
        .isEqualTo(400);
    assertThat(server.auditRows()).isEmpty();
  }

  @Test
  void getKeyShowsThePolicyAsKeybrakeUnderstoodIt() throws Exception {
    String id =
        AdminServer.json(
                server.admin(
                    "POST", "/keys", STRIPE_BODY.replace("/v1/invoices\"", "/v1/invoices/\"")))
            .get("id")
            .asText();

    JsonNode key = AdminServer.json(server.admin("GET", "/keys/" + id, null));

    assertThat(key.get("policy").get("allowed_endpoints").toString())
        .isEqualTo("[\"/v1/invoices\",\"/v1/subscriptions\",\"/v1/billing_portal/sessions\"]");
    JsonNode invoices = key.get("allowed_endpoints_expanded").get("/v1/invoices");
    assertThat(invoices.toString())
        .contains(
            "{\"name\":\"invoices.pay\",\"method\":\"POST\",\"path\":\"/v1/invoices/{id}/pay\"")
        .contains("\"name\":\"other.post\"")
        .contains("\"name\":\"other.get\"");
    assertThat(key.get("allowed_endpoints_expanded").get("/v1/subscriptions").toString())
        .doesNotContain("invoices.pay")
        .doesNotContain("refunds.create");
  }
}
