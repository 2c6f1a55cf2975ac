package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.all;
import static io.keybrake.cli.it.hostile.Requests.call;
import static io.keybrake.cli.it.hostile.Requests.enc;
import static io.keybrake.cli.it.hostile.Requests.formField;
import static io.keybrake.cli.it.hostile.Requests.forwarded;
import static io.keybrake.cli.it.hostile.Requests.refused;
import static io.keybrake.cli.it.hostile.Requests.resendEmail;
import static io.keybrake.cli.it.hostile.Requests.sms;
import static io.keybrake.cli.it.hostile.Requests.smsForm;

import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;

/**
 * Destinations: every number and address below is sent as an SMS and as a call (Twilio, US-only
 * key) or as a recipient in each field (Resend, {@code @example.com} key).
 */
final class DestinationCases {
  private DestinationCases() {}

  /** Numbers a US-only key ({@code +1}, {@code US}) must not reach, and why. */
  private static final String[][] NOT_ALLOWED = {
    {"+2348031234567", "Nigeria"},
    {"+447700900123", "UK mobile"},
    {"+33612345678", "France"},
    {"+19002345678", "US premium rate (+1 900)"},
    {"+18762345678", "Jamaica, inside +1"},
    {"+12842345678", "British Virgin Islands, inside +1"},
    {"+18092345678", "Dominican Republic, inside +1"},
    {"+16492345678", "Turks and Caicos, inside +1"},
    {"+14412345678", "Bermuda, inside +1"},
    {"+12462345678", "Barbados, inside +1"},
    {"+16042345678", "Canada, inside +1"},
    {"+882345678901", "international network"},
    {"+447000123456", "UK personal number"},
    {"whatsapp:+2348031234567", "WhatsApp to Nigeria"},
  };

  /** Text that is not an E.164 number. */
  private static final String[][] INVALID = {
    {"call-me-maybe", "not a number"},
    {"14155552671", "no '+'"},
    {"+1 415 555 2671", "spaces"},
    {"+1(415)5552671", "punctuation"},
    {"+1415555267", "too short"},
    {"+1415555267112345", "too long"},
    {"+\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11", "full-width digits"},
    {"+1415555\u200b2671", "zero-width space inside"},
    {"sip:+2348031234567@trunk.example.net", "a SIP address"},
    {"client:alice", "a client name"},
  };

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    int n = 0;
    for (String[] d : NOT_ALLOWED) {
      Expected no = refused(403, "destination_not_allowed");
      out.add(twilio("SMS to " + d[1], sms(smsForm(d[0], "dest " + n++)), no));
      if (!d[0].startsWith("whatsapp:")) {
        out.add(twilio("call to " + d[1], call(KeyRole.TWILIO_US, "To=" + enc(d[0])), no));
      }
    }
    for (String[] d : INVALID) {
      Expected bad = refused(400, "invalid_destination");
      out.add(twilio("SMS to " + d[1], sms(smsForm(d[0], "dest " + n++)), bad));
      out.add(twilio("call to " + d[1], call(KeyRole.TWILIO_US, "To=" + enc(d[0])), bad));
    }
    for (String to : List.of("+14155552671", "+12125550123", "+13105550199")) {
      String text = "legit " + to;
      out.add(
          twilio(
              "SMS to US " + to,
              sms(smsForm(to, text)),
              forwarded(all(formField("To", to), formField("Body", text)))));
    }
    out.add(
        twilio(
            "call to US",
            call(KeyRole.TWILIO_US, "To=%2B14155552671&Twiml=%3CResponse%2F%3E"),
            forwarded(all(formField("To", "+14155552671"), formField("TimeLimit", "600")))));
    for (String field : List.of("to", "cc", "bcc")) {
      for (String[] r : EMAILS) {
        String json =
            "{\"from\":\"bot@example.com\",\"to\":\"ok@example.com\","
                + (field.equals("to") ? "" : "\"" + field + "\":" + r[0] + ",")
                + "\"subject\":\"s\",\"text\":\"t\"}";
        if (field.equals("to")) {
          json =
              "{\"from\":\"bot@example.com\",\"to\":" + r[0] + ",\"subject\":\"s\",\"text\":\"t\"}";
        }
        out.add(
            new HostileCase(
                "destinations",
                "email " + field + " " + r[1],
                KeyRole.RESEND,
                resendEmail(json, List.of()),
                refused(Integer.parseInt(r[2]), r[3])));
      }
    }
    out.add(
        new HostileCase(
            "destinations",
            "email to an allowed domain",
            KeyRole.RESEND,
            resendEmail(
                "{\"from\":\"bot@example.com\",\"to\":[\"a@example.com\"],\"cc\":\"B"
                    + " <b@EXAMPLE.com>\",\"subject\":\"s\",\"text\":\"t\"}",
                List.of()),
            forwarded(
                Requests.body(
                    "{\"from\":\"bot@example.com\",\"to\":[\"a@example.com\"],\"cc\":\"B"
                        + " <b@EXAMPLE.com>\",\"subject\":\"s\",\"text\":\"t\"}"))));
    return out;
  }

  /** Resend recipients (as JSON values) a {@code @example.com} key must refuse. */
  private static final String[][] EMAILS = {
    {"\"x@evil.test\"", "another domain", "403", "destination_not_allowed"},
    {"[\"ok@example.com\",\"x@evil.test\"]", "one bad of two", "403", "destination_not_allowed"},
    {"\"Boss <x@evil.test>\"", "display name", "403", "destination_not_allowed"},
    {"\"x@example.com.evil.test\"", "suffix trick", "403", "destination_not_allowed"},
    {"\"x@sub.example.com\"", "subdomain", "403", "destination_not_allowed"},
    {"\"a@example.com, x@evil.test\"", "two in one string", "400", "invalid_destination"},
    {"\"a@example.com;x@evil.test\"", "semicolon list", "400", "invalid_destination"},
    {"\"not-an-address\"", "no '@'", "400", "invalid_destination"},
    {"[1]", "a number", "400", "unreadable_request"},
  };

  private static HostileCase twilio(String name, HostileCase.HostileRequest r, Expected e) {
    return new HostileCase("destinations", name, KeyRole.TWILIO_US, r, e);
  }
}
