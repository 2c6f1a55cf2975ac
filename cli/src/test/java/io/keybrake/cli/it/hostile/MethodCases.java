package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.refused;

import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;

/** Methods an endpoint does not declare: refused whatever the body. */
final class MethodCases {
  private MethodCases() {}

  private static final String[] METHODS = {"PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "FOO"};

  /** {role, path, body} of a priced endpoint. */
  private static final String[][] ENDPOINTS = {
    {"TWILIO_US", Requests.MESSAGES, "To=%2B2348031234567&Body=m"},
    {"TWILIO_US", Requests.CALLS, "To=%2B2348031234567"},
    {"STRIPE", "/stripe/v1/charges", "amount=99999999&currency=usd"},
    {"STRIPE", "/stripe/v1/payouts", "amount=99999999&currency=usd"},
    {"RESEND", "/resend/emails", "{\"from\":\"a@example.com\",\"to\":\"x@evil.test\"}"},
  };

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    for (String[] e : ENDPOINTS) {
      KeyRole role = KeyRole.valueOf(e[0]);
      String type = role == KeyRole.RESEND ? Requests.JSON : Requests.FORM;
      for (String method : METHODS) {
        HostileRequest post = Requests.post(role, e[1], type, Requests.utf8(e[2]), List.of());
        out.add(
            new HostileCase(
                "methods",
                method + " " + e[1],
                role,
                new HostileRequest(method, post.path(), post.headers(), post.body()),
                refused(403, "endpoint_not_allowed")));
      }
    }
    return out;
  }
}
