package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.FORM;
import static io.keybrake.cli.it.hostile.Requests.JSON;
import static io.keybrake.cli.it.hostile.Requests.US;
import static io.keybrake.cli.it.hostile.Requests.forwarded;
import static io.keybrake.cli.it.hostile.Requests.h;
import static io.keybrake.cli.it.hostile.Requests.refused;
import static io.keybrake.cli.it.hostile.Requests.smsForm;
import static io.keybrake.cli.it.hostile.Requests.utf8;
import static io.keybrake.cli.it.hostile.Requests.with;
import static io.keybrake.cli.it.hostile.Requests.without;

import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Request headers on an otherwise legitimate call of each vendor: only the vendor's own headers are
 * forwarded, headers that change the call's meaning refuse it, and {@code Stripe-Account} needs the
 * policy's {@code allowed_accounts}.
 */
final class HeaderCases {
  private HeaderCases() {}

  /** Headers that must never reach a vendor. */
  private static final String[][] DROPPED = {
    {"Proxy-Authorization", "Bearer {vault}"},
    {"x-envoy-retry-on", "5xx,reset"},
    {"x-envoy-max-retries", "5"},
    {"x-envoy-upstream-rq-timeout-ms", "1"},
    {"x-envoy-internal", "true"},
    {"x-keybrake-key-id", "key_spoofed"},
    {"x-keybrake-vendor", "stripe"},
    {"x-keybrake-dedup", "replay"},
    {"Cookie", "session=abc"},
    {"X-Forwarded-For", "10.0.0.1"},
    {"Forwarded", "for=10.0.0.1"},
    {"X-Real-IP", "10.0.0.1"},
    {"Accept-Encoding", "gzip"},
    {"X-Api-Key", "{vault}"},
    {"Origin", "https://evil.test"},
  };

  /** Headers that would make the vendor read the call as another method or path. */
  private static final String[][] MEANING = {
    {"X-HTTP-Method-Override", "DELETE"},
    {"X-HTTP-Method", "GET"},
    {"X-Method-Override", "PUT"},
    {"X-Original-Method", "DELETE"},
    {"X-Original-URL", "/v1/refunds"},
    {"X-Rewrite-URL", "/v1/payouts"},
  };

  private static int unique = 0;

  /**
   * The legitimate call of {@code role} with {@code extra} headers and a body unique to the row.
   */
  static HostileRequest legit(KeyRole role, List<Map.Entry<String, String>> extra) {
    int n = unique++;
    return switch (role) {
      case TWILIO_US, TWILIO_TWIML_URLS ->
          Requests.post(role, Requests.MESSAGES, FORM, utf8(smsForm(US, "headers " + n)), extra);
      case STRIPE ->
          Requests.post(
              role,
              "/stripe/v1/charges",
              FORM,
              utf8("amount=" + (100 + n) + "&currency=usd&source=tok_visa"),
              extra);
      case RESEND ->
          Requests.post(
              role,
              "/resend/emails",
              JSON,
              utf8(
                  "{\"from\":\"bot@example.com\",\"to\":\"a@example.com\",\"subject\":\"h"
                      + n
                      + "\",\"text\":\"t\"}"),
              extra);
    };
  }

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    List<KeyRole> vendors = List.of(KeyRole.TWILIO_US, KeyRole.STRIPE, KeyRole.RESEND);
    for (KeyRole role : vendors) {
      String v = role.name().toLowerCase(java.util.Locale.ROOT);
      for (String[] d : DROPPED) {
        out.add(
            row(
                v + " drops " + d[0],
                role,
                legit(role, List.of(h(d[0], d[1]))),
                forwarded(without(d[0]))));
      }
      // a request carrying an admin key belongs to the admin API (docs/admin.md): it is never
      // forwarded, whatever its path, so the admin key cannot reach a vendor
      out.add(
          row(
              v + " never forwards X-Admin-Key",
              role,
              legit(role, List.of(h("X-Admin-Key", "test-admin-key-0123456789"))),
              refused(404, "not_found")));
      for (String[] m : MEANING) {
        out.add(
            row(
                v + " refuses " + m[0],
                role,
                legit(role, List.of(h(m[0], m[1]))),
                refused(400, "unreadable_request")));
      }
      String other = role == KeyRole.RESEND ? FORM : JSON;
      String own = role == KeyRole.RESEND ? JSON : FORM;
      out.add(
          row(
              v + " refuses a second Content-Type",
              role,
              legit(role, List.of(h("Content-Type", other))),
              refused(400, "unreadable_request")));
      out.add(
          row(
              v + " refuses the same Content-Type twice",
              role,
              legit(role, List.of(h("Content-Type", own))),
              refused(400, "unreadable_request")));
      out.add(
          row(
              v + " forwards User-Agent and Accept",
              role,
              legit(role, List.of(h("User-Agent", "agent/1.0"), h("Accept", "application/json"))),
              forwarded(
                  Requests.all(
                      with("User-Agent", "agent/1.0"), with("Accept", "application/json")))));
    }
    out.add(
        row(
            "twilio forwards X-Twilio-Client",
            KeyRole.TWILIO_US,
            legit(KeyRole.TWILIO_US, List.of(h("X-Twilio-Client", "java/10"))),
            forwarded(with("X-Twilio-Client", "java/10"))));
    out.add(
        row(
            "twilio drops Stripe-Account",
            KeyRole.TWILIO_US,
            legit(KeyRole.TWILIO_US, List.of(h("Stripe-Account", "acct_other"))),
            forwarded(without("Stripe-Account"))));
    out.add(
        row(
            "stripe forwards Stripe-Version and Idempotency-Key",
            KeyRole.STRIPE,
            legit(
                KeyRole.STRIPE,
                List.of(h("Stripe-Version", "2024-06-20"), h("Idempotency-Key", "idem-1"))),
            forwarded(
                Requests.all(
                    with("Stripe-Version", "2024-06-20"), with("Idempotency-Key", "idem-1")))));
    out.add(
        row(
            "stripe refuses two Stripe-Version",
            KeyRole.STRIPE,
            legit(
                KeyRole.STRIPE,
                List.of(h("Stripe-Version", "2024-06-20"), h("Stripe-Version", "2020-08-27"))),
            refused(400, "unreadable_request")));
    out.add(
        row(
            "stripe refuses two Idempotency-Key",
            KeyRole.STRIPE,
            legit(KeyRole.STRIPE, List.of(h("Idempotency-Key", "a"), h("Idempotency-Key", "b"))),
            refused(400, "unreadable_request")));
    out.add(
        row(
            "resend refuses two Idempotency-Key",
            KeyRole.RESEND,
            legit(KeyRole.RESEND, List.of(h("Idempotency-Key", "a"), h("Idempotency-Key", "b"))),
            refused(400, "unreadable_request")));
    for (String[] a : ACCOUNTS) {
      Expected e =
          a[2].equals("forward")
              ? forwarded(with(a[0], a[1].strip()))
              : refused(Integer.parseInt(a[2]), a[3]);
      out.add(
          row(
              "stripe " + a[0] + " " + a[1],
              KeyRole.STRIPE,
              legit(KeyRole.STRIPE, List.of(h(a[0], a[1]))),
              e));
    }
    for (KeyRole role : vendors) {
      out.addAll(framing(role));
    }
    out.add(
        row(
            "stripe refuses two Stripe-Account",
            KeyRole.STRIPE,
            legit(
                KeyRole.STRIPE,
                List.of(h("Stripe-Account", "acct_allowed001"), h("Stripe-Account", "acct_other"))),
            refused(400, "unreadable_request")));
    return out;
  }

  /**
   * Conflicting framing: the HTTP server or Keybrake refuses it with 400 (whichever reads it first,
   * so only the status is stated).
   */
  private static List<HostileCase> framing(KeyRole role) {
    String v = role.name().toLowerCase(java.util.Locale.ROOT);
    HostileRequest legit = legit(role, List.of());
    byte[] body = legit.body();
    String hex = Integer.toHexString(body.length);
    byte[] chunked = concat(utf8(hex + "\r\n"), body, utf8("\r\n0\r\n\r\n"));
    List<HostileCase> out = new ArrayList<>();
    out.add(
        row(
            v + " refuses Content-Length with Transfer-Encoding",
            role,
            withHeaders(
                legit,
                chunked,
                h("Content-Length", Integer.toString(body.length)),
                h("Transfer-Encoding", "chunked")),
            refused(400, null)));
    out.add(
        row(
            v + " refuses two different Content-Length",
            role,
            withHeaders(
                legit,
                body,
                h("Content-Length", Integer.toString(body.length)),
                h("Content-Length", Integer.toString(body.length - 5))),
            refused(400, null)));
    return out;
  }

  private static HostileRequest withHeaders(
      HostileRequest r, byte[] body, Map.Entry<String, String> a, Map.Entry<String, String> b) {
    List<Map.Entry<String, String>> headers = new ArrayList<>(r.headers());
    headers.add(a);
    headers.add(b);
    return new HostileRequest(r.method(), r.path(), headers, body);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** {header, account, status or "forward", code}. */
  private static final String[][] ACCOUNTS = {
    {"Stripe-Account", "acct_allowed001", "forward", ""},
    {"Stripe-Account", "acct_other", "403", "endpoint_not_allowed"},
    {"Stripe-Account", "acct_ALLOWED001", "403", "endpoint_not_allowed"},
    {"Stripe-Account", "acct_allowed0011", "403", "endpoint_not_allowed"},
    {"Stripe-Account", "acct_allowed001,acct_other", "403", "endpoint_not_allowed"},
    {"Stripe-Context", "acct_other", "403", "endpoint_not_allowed"},
    {"Stripe-Context", "acct_allowed001/acct_other", "403", "endpoint_not_allowed"},
    {"stripe-account", "acct_other", "403", "endpoint_not_allowed"},
  };

  private static HostileCase row(String name, KeyRole key, HostileRequest r, Expected e) {
    return new HostileCase("headers", name, key, r, e);
  }
}
