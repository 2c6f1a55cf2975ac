package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.refused;
import static io.keybrake.cli.it.hostile.Requests.smsForm;
import static io.keybrake.cli.it.hostile.Requests.utf8;

import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;

/** Request paths: what cannot be normalised unambiguously, and what the key may not call. */
final class PathCases {
  private PathCases() {}

  private static final String T = "/twilio/2010-04-01/Accounts/{vault}";

  /**
   * Twilio SMS paths: {path, what it tries, status, code}. {@code bad_request} is the HTTP layer's
   * own refusal of a target it cannot decode, before Keybrake reads it.
   */
  private static final String[][] TWILIO = {
    {T + "/Messages.xml", ".xml suffix", "403", "endpoint_not_allowed"},
    {T + "/Messages", "no suffix", "403", "endpoint_not_allowed"},
    {T + "/Messages.json.", "trailing dot", "403", "endpoint_not_allowed"},
    {T + "/Messages.json/x", "extra segment", "403", "endpoint_not_allowed"},
    {T + "/Calls/%2e%2e/Messages.json", "encoded dot-dot", "400", "unreadable_request"},
    {T + "/Calls/../Messages.json", "dot-dot", "400", "unreadable_request"},
    {T + "/./Messages.json", "dot", "400", "unreadable_request"},
    {T + "/Calls/..;x/Messages.json", "dot-dot with a parameter", "400", "unreadable_request"},
    {T + "%2FMessages.json", "encoded slash", "400", "unreadable_request"},
    {T + "%5CMessages.json", "encoded backslash", "400", "unreadable_request"},
    {T + "/Messages%00.json", "encoded NUL", "400", "bad_request"},
    {T + "/Messages.json%23x", "encoded '#'", "400", "unreadable_request"},
    {T + "/Messages.json%3Fx", "encoded '?'", "400", "unreadable_request"},
    {T + "/Messages.json?To=%2B2348031234567", "To in the query", "400", "unreadable_request"},
    {T + "/Messages.json?x=1", "any query on a priced POST", "400", "unreadable_request"},
    {T + "/Messages%zz.json", "malformed escape", "400", "bad_request"},
    {T + "/Messages%C0%AE.json", "overlong UTF-8", "400", "unreadable_request"},
    {T + "/IncomingPhoneNumbers.json", "buying a number", "403", "endpoint_not_allowed"},
    {T + "/Calls/CA123/Recordings.json", "recordings", "403", "endpoint_not_allowed"},
    {"/twilio/2010-04-01/Accounts/{vault}.json", "account itself", "403", "endpoint_not_allowed"},
    {
      "/twilio/2010-04-01/Accounts/{vault.STRIPE}/Messages.json",
      "path SID of another key",
      "401",
      "invalid_key"
    },
    {
      "/twilio/2008-08-01/Accounts/{vault}/SMS/Messages.json",
      "old API version",
      "403",
      "endpoint_not_allowed"
    },
  };

  /** Paths that normalise to the endpoint itself and are forwarded. */
  private static final String[][] TWILIO_OK = {
    {T + "//Messages.json", "duplicate slash"},
    {T + "/Messages.JSON", "upper-case suffix"},
    {T + "/Messages.json/", "trailing slash"},
    {T + "/Messages%2ejson", "encoded dot in the suffix"},
  };

  /** Stripe paths: {path, what it tries, status, code}. */
  private static final String[][] STRIPE = {
    {"/stripe/v1/customers", "an unnamed endpoint", "403", "endpoint_not_allowed"},
    {"/stripe/v1/accounts", "connected accounts", "403", "endpoint_not_allowed"},
    {"/stripe/v1/charges/../payouts", "dot-dot to payouts", "400", "unreadable_request"},
    {"/stripe/v1/charges%2F..%2Fpayouts", "encoded dot-dot", "400", "unreadable_request"},
    {"/stripe/v2/charges", "another API version", "403", "endpoint_not_allowed"},
    {"/stripe/v1/charges?amount=1", "amount in the query", "400", "unreadable_request"},
    {"/twilio/v1/charges", "the Twilio prefix", "403", "endpoint_not_allowed"},
  };

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    int n = 0;
    for (String[] p : TWILIO) {
      out.add(
          row(
              "twilio " + p[1],
              KeyRole.TWILIO_US,
              new HostileRequest(
                  "POST",
                  p[0],
                  List.of(
                      Requests.h("Authorization", Requests.TWILIO_AUTH),
                      Requests.h("Content-Type", Requests.FORM)),
                  utf8(smsForm(Requests.US, "path " + n++))),
              refused(Integer.parseInt(p[2]), p[3])));
    }
    for (String[] p : TWILIO_OK) {
      String form = smsForm(Requests.US, "path ok " + n++);
      out.add(
          row(
              "twilio " + p[1],
              KeyRole.TWILIO_US,
              new HostileRequest(
                  "POST",
                  p[0],
                  List.of(
                      Requests.h("Authorization", Requests.TWILIO_AUTH),
                      Requests.h("Content-Type", Requests.FORM)),
                  utf8(form)),
              Requests.forwarded(Requests.body(form))));
    }
    for (String[] p : STRIPE) {
      out.add(
          row(
              "stripe " + p[1],
              KeyRole.STRIPE,
              Requests.post(
                  KeyRole.STRIPE,
                  p[0],
                  Requests.FORM,
                  utf8("amount=" + (200 + n++) + "&currency=usd&source=tok_visa"),
                  List.of()),
              refused(Integer.parseInt(p[2]), p[3])));
    }
    return out;
  }

  private static HostileCase row(String name, KeyRole key, HostileRequest r, Expected e) {
    return new HostileCase("paths", name, key, r, e);
  }
}
