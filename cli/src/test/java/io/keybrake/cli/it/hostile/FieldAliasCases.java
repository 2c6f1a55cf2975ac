package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.enc;
import static io.keybrake.cli.it.hostile.Requests.refused;
import static io.keybrake.cli.it.hostile.Requests.utf8;

import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;

/**
 * Field names and JSON shapes a vendor's own parser could read as a checked field: refused, never
 * ignored.
 */
final class FieldAliasCases {
  private FieldAliasCases() {}

  /** Spellings of a form field name ({@code %s}) that are not the name itself. */
  private static final String[] SPELLINGS = {
    "%s[]",
    "%s[0]",
    "%s[1]",
    "%s[x]",
    "%s ",
    " %s",
    "%s\u0000",
    "%s\t",
    "%s\u200b",
    "\u200b%s",
    "%s\u00a0",
    "%s\ufeff",
    "%s\u00ad",
  };

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    int n = 0;
    for (String spelling : SPELLINGS) {
      String to = String.format(spelling, "To");
      out.add(
          form(
              "SMS with '" + printable(to) + "' beside To",
              KeyRole.TWILIO_US,
              Requests.MESSAGES,
              "To=%2B14155552671&" + enc(to) + "=%2B2348031234567&Body=alias+" + n++));
      out.add(
          form(
              "SMS with only '" + printable(to) + "'",
              KeyRole.TWILIO_US,
              Requests.MESSAGES,
              enc(to) + "=%2B2348031234567&Body=alias+" + n++));
      String twiml = String.format(spelling, "Twiml");
      out.add(
          form(
              "call with '" + printable(twiml) + "'",
              KeyRole.TWILIO_US,
              Requests.CALLS,
              "To=%2B14155552671&Twiml=%3CResponse%2F%3E&"
                  + enc(twiml)
                  + "="
                  + enc("<Response><Dial>+2348031234567</Dial></Response>")));
      String amount = String.format(spelling, "amount");
      out.add(
          form(
              "charge with '" + printable(amount) + "'",
              KeyRole.STRIPE,
              "/stripe/v1/charges",
              "amount=100&currency=usd&source=tok_visa&" + enc(amount) + "=99999999"));
    }
    for (String field : List.of("Url", "ApplicationSid", "TimeLimit", "Body", "MediaUrl")) {
      String path =
          field.equals("Body") || field.equals("MediaUrl") ? Requests.MESSAGES : Requests.CALLS;
      out.add(
          form(
              "'" + field + "[]' on " + (path.equals(Requests.CALLS) ? "a call" : "an SMS"),
              KeyRole.TWILIO_US,
              path,
              "To=%2B14155552671&Twiml=%3CResponse%2F%3E&Body=x&" + enc(field + "[]") + "=1"));
    }
    out.add(
        form(
            "two To fields",
            KeyRole.TWILIO_US,
            Requests.MESSAGES,
            "To=%2B14155552671&To=%2B2348031234567&Body=two"));
    out.add(
        form(
            "To and to",
            KeyRole.TWILIO_US,
            Requests.MESSAGES,
            "To=%2B14155552671&to=%2B2348031234567&Body=case"));
    out.add(
        form(
            "currency[] beside currency",
            KeyRole.STRIPE,
            "/stripe/v1/charges",
            "amount=100&currency=usd&currency%5B%5D=jpy&source=tok_visa"));
    out.add(
        form(
            "Amount beside amount",
            KeyRole.STRIPE,
            "/stripe/v1/charges",
            "amount=100&Amount=99999&currency=usd&source=tok_visa"));
    for (String[] j : JSON) {
      out.add(
          new HostileCase(
              "fields",
              "email " + j[1],
              KeyRole.RESEND,
              Requests.resendEmail(
                  "{\"from\":\"bot@example.com\"," + j[0] + ",\"subject\":\"s\",\"text\":\"t\"}",
                  List.of()),
              refused(400, "unreadable_request")));
    }
    out.add(
        new HostileCase(
            "fields",
            "batch with BCC in the second email",
            KeyRole.RESEND,
            Requests.post(
                KeyRole.RESEND,
                "/resend/emails/batch",
                Requests.JSON,
                utf8(
                    "[{\"from\":\"bot@example.com\",\"to\":\"a@example.com\",\"subject\":\"1\"},"
                        + "{\"from\":\"bot@example.com\",\"to\":\"b@example.com\","
                        + "\"BCC\":\"x@evil.test\",\"subject\":\"2\"}]"),
                List.of()),
            refused(400, "unreadable_request")));
    return out;
  }

  /** Resend email members (beside a from, subject and text) that hide recipients. */
  private static final String[][] JSON = {
    {"\"to\":\"a@example.com\",\"To\":\"x@evil.test\"", "To beside to"},
    {"\"to\":\"a@example.com\",\"BCC\":\"x@evil.test\"", "BCC beside to"},
    {"\"to\":\"a@example.com\",\"Cc\":[\"x@evil.test\"]", "Cc"},
    {"\"to\":\"a@example.com\",\"bcc\\u200b\":\"x@evil.test\"", "bcc with a zero-width space"},
    {"\"to\":\"a@example.com\",\"bcc \":\"x@evil.test\"", "bcc with a trailing space"},
    {"\"to\":\"a@example.com\",\" cc\":\"x@evil.test\"", "cc with a leading space"},
    {"\"to\":\"a@example.com\",\"to\":\"x@evil.test\"", "duplicate to"},
    {"\"to\":\"a@example.com\",\"bcc\":\"a@example.com\",\"bcc\":\"x@evil.test\"", "duplicate bcc"},
    {"\"to\":\"a@example.com\",\"headers\":{\"Bcc\":\"x@evil.test\"}", "Bcc in headers"},
    {"\"to\":\"a@example.com\",\"headers\":{\"To\":\"x@evil.test\"}", "To in headers"},
    {"\"to\":\"a@example.com\",\"headers\":{\"cc\":\"x@evil.test\"}", "cc in headers"},
    {
      "\"to\":\"a@example.com\",\"headers\":{\"Resent-To\":\"x@evil.test\"}", "Resent-To in headers"
    },
    {"\"to\":\"a@example.com\",\"headers\":{\"bcc \":\"x@evil.test\"}", "spaced bcc in headers"},
    {"\"to\":\"a@example.com\",\"Headers\":{\"Bcc\":\"x@evil.test\"}", "Bcc in Headers"},
    {"\"to\":{\"email\":\"x@evil.test\"}", "to as an object"},
    {"\"to\":[[\"x@evil.test\"]]", "to as a nested array"},
    {"\"to\":[]", "to empty"},
    {"\"to\":null", "to null"},
  };

  private static HostileCase form(String name, KeyRole key, String path, String body) {
    HostileRequest r = Requests.post(key, path, Requests.FORM, utf8(body), List.of());
    return new HostileCase("fields", name, key, r, refused(400, "unreadable_request"));
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints()
        .forEach(
            c ->
                b.append(
                    c >= 0x21 && c < 0x7f ? Character.toString(c) : String.format("\\u%04x", c)));
    return b.toString();
  }
}
