package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.all;
import static io.keybrake.cli.it.hostile.Requests.call;
import static io.keybrake.cli.it.hostile.Requests.enc;
import static io.keybrake.cli.it.hostile.Requests.formField;
import static io.keybrake.cli.it.hostile.Requests.forwarded;
import static io.keybrake.cli.it.hostile.Requests.refused;

import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.util.ArrayList;
import java.util.List;

/**
 * Inline TwiML and TwiML URLs on a call to an allowed US number: every number the TwiML dials or
 * texts is checked, and TwiML Keybrake cannot see is refused unless the policy names its URL.
 */
final class TwimlCases {
  private TwimlCases() {}

  private static final String NG = "+2348031234567";
  private static final String PREMIUM = "+19002345678";

  /** TwiML documents a US-only key must refuse: {TwiML, what it tries, status, code}. */
  private static final String[][] REFUSED = {
    {
      "<Response><Dial>" + NG + "</Dial></Response>",
      "Dial text to Nigeria",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial>" + PREMIUM + "</Dial></Response>",
      "Dial text to +1 900",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Number>" + NG + "</Number></Dial></Response>",
      "Number to Nigeria",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Number>" + PREMIUM + "</Number></Dial></Response>",
      "Number to +1 900",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Number>+14155550100</Number><Number>" + NG + "</Number></Dial></Response>",
      "second Number",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Say>hi</Say><Dial>" + NG + "</Dial></Response>",
      "Dial after Say",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial>+18762345678</Dial></Response>",
      "Dial to Jamaica inside +1",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><dial>" + NG + "</dial></Response>",
      "lower-case dial",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><DIAL><NUMBER>" + NG + "</NUMBER></DIAL></Response>",
      "upper-case Number",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial>  " + NG + "\n</Dial></Response>",
      "number with whitespace",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><![CDATA[" + NG + "]]></Dial></Response>",
      "number in CDATA",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial>+234<!-- x -->8031234567</Dial></Response>",
      "number split by a comment",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial>&#43;2348031234567</Dial></Response>",
      "'+' as a character reference",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Sms to=\"" + NG + "\">hi</Sms></Response>",
      "Sms to Nigeria",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Message to=\"+447700900123\"><Body>hi</Body></Message></Response>",
      "Message to the UK",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Message TO=\"" + PREMIUM + "\">hi</Message></Response>",
      "Message TO premium",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Sip>sip:" + NG + "@trunk.example.net</Sip></Dial></Response>",
      "Sip",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Application><ApplicationSid>AP123</ApplicationSid></Application></Dial></Response>",
      "Application",
      "403",
      "destination_not_allowed"
    },
    {"<Response><Dial><Sim>DE123</Sim></Dial></Response>", "Sim", "403", "destination_not_allowed"},
    {
      "<Response><Redirect>https://evil.test/t.xml</Redirect></Response>",
      "Redirect",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial action=\"https://evil.test/a\">+14155550100</Dial></Response>",
      "Dial action",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Gather action=\"https://evil.test/g\"><Say>1</Say></Gather></Response>",
      "Gather action",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Record action=\"https://evil.test/r\"/></Response>",
      "Record action",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Enqueue waitUrl=\"https://evil.test/w\">q</Enqueue></Response>",
      "Enqueue waitUrl",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Number url=\"https://evil.test/n\">+14155550100</Number></Dial></Response>",
      "Number url",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Dial><Conference waitUrl=\"https://evil.test/c\">room</Conference></Dial></Response>",
      "Conference waitUrl",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Refer><Sip>sip:x@evil.test</Sip></Refer></Response>",
      "Refer",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Connect><Stream url=\"wss://evil.test/s\"/></Connect></Response>",
      "Connect Stream",
      "403",
      "destination_not_allowed"
    },
    {
      "<Response><Say><Dial>" + NG + "</Dial></Say></Response>",
      "Dial hidden in Say",
      "403",
      "destination_not_allowed"
    },
    {"<Response><Pay/></Response>", "Pay", "403", "destination_not_allowed"},
    {
      "<Response><Dial>00" + NG.substring(1) + "</Dial></Response>",
      "international 00 prefix",
      "400",
      "invalid_destination"
    },
    {
      "<Response><Dial>8031234567</Dial></Response>",
      "national number",
      "400",
      "invalid_destination"
    },
    {
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY n SYSTEM \"file:///etc/hostname\">]><Response><Dial>&n;</Dial></Response>",
      "external entity",
      "400",
      "unreadable_request"
    },
    {
      "<!DOCTYPE Response [<!ENTITY n \"" + NG + "\">]><Response><Dial>&n;</Dial></Response>",
      "internal entity",
      "400",
      "unreadable_request"
    },
    {"<Response><Dial>" + NG, "unclosed", "400", "unreadable_request"},
    {"<Dial>" + NG + "</Dial>", "no Response root", "400", "unreadable_request"},
    {
      "<Response/><Response><Dial>" + NG + "</Dial></Response>",
      "two roots",
      "400",
      "unreadable_request"
    },
    {
      "<Response><Say>" + "a".repeat(4001) + "</Say></Response>",
      "over 4000 characters",
      "400",
      "unreadable_request"
    },
    {
      "<Response>" + "<Gather>".repeat(20) + "</Gather>".repeat(20) + "</Response>",
      "nested too deep",
      "400",
      "unreadable_request"
    },
  };

  /** TwiML a US-only key may send: {TwiML, what it does}. */
  private static final String[][] ALLOWED = {
    {"<Response><Say>Your order has shipped</Say></Response>", "Say"},
    {"<Response><Dial>+14155550100</Dial></Response>", "Dial to the US"},
    {"<Response><Dial><Number>+12125550123</Number></Dial></Response>", "Number in the US"},
    {"<Response><Dial><Client>agent-7</Client></Dial></Response>", "Client"},
    {"<Response><Dial><Conference>standup</Conference></Dial></Response>", "Conference"},
    {"<Response><Enqueue>support</Enqueue></Response>", "Enqueue"},
    {"<Response><Sms>on our way</Sms></Response>", "Sms back to the callee"},
    {
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Pause length=\"1\"/><Hangup/></Response>",
      "Pause and Hangup"
    },
  };

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    for (String[] t : REFUSED) {
      out.add(
          row(
              "Twiml " + t[1],
              KeyRole.TWILIO_US,
              "To=%2B14155552671&Twiml=" + enc(t[0]),
              refused(Integer.parseInt(t[2]), t[3])));
    }
    for (String[] t : ALLOWED) {
      out.add(
          row(
              "Twiml " + t[1],
              KeyRole.TWILIO_US,
              "To=%2B14155552671&Twiml=" + enc(t[0]),
              forwarded(all(formField("Twiml", t[0]), formField("To", "+14155552671")))));
    }
    String hooks = "https://hooks.example.com/twiml/";
    String[][] urls = {
      {"Url", "https://evil.test/t.xml"},
      {"Url", hooks + "t.xml"},
      {"FallbackUrl", hooks + "f.xml"},
      {"ApplicationSid", "AP0123456789abcdef0123456789abcdef"},
    };
    for (String[] u : urls) {
      out.add(
          row(
              u[0] + " " + u[1] + " without allowed_twiml_urls",
              KeyRole.TWILIO_US,
              "To=%2B14155552671&" + u[0] + "=" + enc(u[1]),
              refused(403, "destination_not_allowed")));
    }
    String[][] prefixed = {
      {hooks + "a.xml", "yes"},
      {"HTTPS://HOOKS.EXAMPLE.COM/twiml/b.xml", "yes"},
      {hooks + "c.xml?step=2", "yes"},
      {"https://hooks.example.com/other/t.xml", "no"},
      {"https://hooks.example.com.evil.test/twiml/t.xml", "no"},
      {"https://hooks.example.com@evil.test/twiml/t.xml", "no"},
      {"https://evil.test/?" + hooks, "no"},
      {hooks + "../admin.xml", "no"},
      {hooks + "%2e%2e/admin.xml", "no"},
      {"http://hooks.example.com/twiml/t.xml", "no"},
      {"/twiml/t.xml", "no"},
    };
    for (String[] u : prefixed) {
      String form = "To=%2B14155552671&Url=" + enc(u[0]);
      Expected e =
          u[1].equals("yes")
              ? forwarded(formField("Url", u[0]))
              : refused(403, "destination_not_allowed");
      out.add(row("Url " + u[0] + " with allowed_twiml_urls", KeyRole.TWILIO_TWIML_URLS, form, e));
    }
    out.add(
        row(
            "Redirect under an allowed prefix",
            KeyRole.TWILIO_TWIML_URLS,
            "To=%2B14155552671&Twiml="
                + enc("<Response><Redirect>" + hooks + "next.xml</Redirect></Response>"),
            forwarded(formField("To", "+14155552671"))));
    out.add(
        row(
            "ApplicationSid even with allowed_twiml_urls",
            KeyRole.TWILIO_TWIML_URLS,
            "To=%2B14155552671&ApplicationSid=AP0123456789abcdef0123456789abcdef",
            refused(403, "destination_not_allowed")));
    out.add(
        row(
            "allowed Url but Twiml dials Nigeria",
            KeyRole.TWILIO_TWIML_URLS,
            "To=%2B14155552671&Url="
                + enc(hooks + "a.xml")
                + "&Twiml="
                + enc("<Response><Dial>" + NG + "</Dial></Response>"),
            refused(403, "destination_not_allowed")));
    return out;
  }

  private static HostileCase row(String name, KeyRole key, String form, Expected e) {
    return new HostileCase("twiml", name, key, call(key, form), e);
  }
}
