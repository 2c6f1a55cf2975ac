package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.h;
import static io.keybrake.cli.it.hostile.Requests.refused;

import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Credentials: only a known vault key of the vendor called, presented once, is accepted. */
final class CredentialCases {
  private CredentialCases() {}

  /** {authorization headers separated by '|' ("" = none), what it tries, status, code}. */
  private static final String[][] STRIPE = {
    {"", "no credential", "401", "invalid_key"},
    {"Bearer {stripe-secret}", "the real Stripe key", "401", "invalid_key"},
    {"{basic:stripe-secret:}", "the real Stripe key as Basic user", "401", "invalid_key"},
    {
      "Bearer vault_key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "an unknown vault key",
      "401",
      "invalid_key"
    },
    {"Bearer {vault.RESEND}", "a Resend vault key", "403", "endpoint_not_allowed"},
    {"Bearer {vault.TWILIO_US}", "a Twilio vault key", "403", "endpoint_not_allowed"},
    {"Bearer {vault}|Bearer {vault.RESEND}", "two keys", "401", "invalid_key"},
    {"Bearer {vault}, Bearer {vault.RESEND}", "two keys in one header", "401", "invalid_key"},
    {"Token {vault}", "an unknown scheme", "401", "invalid_key"},
    {"Bearer", "an empty Bearer", "401", "invalid_key"},
    {"Basic !!!", "malformed Basic", "401", "invalid_key"},
  };

  private static final String[][] TWILIO = {
    {"", "no credential but the path SID", "legit", ""},
    {"{basic:twilio-sid:twilio-token}", "the real account SID and token", "401", "invalid_key"},
    {
      "{basic:vault.TWILIO_TWIML_URLS:x}",
      "another Twilio vault key than the path's",
      "401",
      "invalid_key"
    },
    {"{basic:vault.STRIPE:x}", "a Stripe vault key", "401", "invalid_key"},
  };

  private static final String[][] RESEND = {
    {"Bearer {resend-secret}", "the real Resend key", "401", "invalid_key"},
    {"Bearer {vault.STRIPE}", "a Stripe vault key", "403", "endpoint_not_allowed"},
    {"", "no credential", "401", "invalid_key"},
  };

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    int n = 0;
    for (String[] c : STRIPE) {
      out.add(
          row(
              "stripe " + c[1],
              KeyRole.STRIPE,
              "/stripe/v1/charges",
              Requests.FORM,
              "amount=" + (300 + n++) + "&currency=usd&source=tok_visa",
              c));
    }
    for (String[] c : TWILIO) {
      out.add(
          row(
              "twilio " + c[1],
              KeyRole.TWILIO_US,
              Requests.MESSAGES,
              Requests.FORM,
              Requests.smsForm(Requests.US, "cred " + n++),
              c));
    }
    for (String[] c : RESEND) {
      out.add(
          row(
              "resend " + c[1],
              KeyRole.RESEND,
              "/resend/emails",
              Requests.JSON,
              "{\"from\":\"bot@example.com\",\"to\":\"a@example.com\",\"subject\":\"c"
                  + n++
                  + "\"}",
              c));
    }
    String[] rawInPath = {"{twilio-sid}", "{vault}x", "x{vault}"};
    for (String seg : rawInPath) {
      out.add(
          new HostileCase(
              "credentials",
              "twilio path SID " + seg,
              KeyRole.TWILIO_US,
              new HostileRequest(
                  "POST",
                  "/twilio/2010-04-01/Accounts/" + seg + "/Messages.json",
                  List.of(h("Content-Type", Requests.FORM)),
                  Requests.utf8(Requests.smsForm(Requests.US, "sid " + n++))),
              refused(401, "invalid_key")));
    }
    return out;
  }

  private static HostileCase row(
      String name, KeyRole role, String path, String type, String body, String[] c) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (!c[0].isEmpty()) {
      for (String auth : c[0].split("\\|")) {
        headers.add(h("Authorization", auth));
      }
    }
    headers.add(h("Content-Type", type));
    Expected e =
        c[2].equals("legit") ? Requests.forwarded(r -> {}) : refused(Integer.parseInt(c[2]), c[3]);
    return new HostileCase(
        "credentials",
        name,
        role,
        new HostileRequest("POST", path, headers, Requests.utf8(body)),
        e);
  }
}
