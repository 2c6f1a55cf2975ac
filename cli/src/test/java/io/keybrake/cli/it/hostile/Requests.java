package io.keybrake.cli.it.hostile;

import io.keybrake.cli.it.hostile.HostileCase.Expected;
import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import io.keybrake.cli.it.hostile.HostileCase.VendorCheck;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builders the tables share: the usual request of each endpoint, and the usual expectations. */
public final class Requests {
  public static final String FORM = "application/x-www-form-urlencoded";
  public static final String JSON = "application/json";
  public static final String US = "+14155552671";
  public static final String MESSAGES = "/twilio/2010-04-01/Accounts/{vault}/Messages.json";
  public static final String CALLS = "/twilio/2010-04-01/Accounts/{vault}/Calls.json";
  public static final String TWILIO_AUTH = "{basic:vault:x}";

  private Requests() {}

  public static Map.Entry<String, String> h(String name, String value) {
    return Map.entry(name, value);
  }

  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The authorization an SDK of the role's vendor sends. */
  public static String auth(KeyRole role) {
    return switch (role) {
      case TWILIO_US, TWILIO_TWIML_URLS -> TWILIO_AUTH;
      case STRIPE, RESEND -> "Bearer {vault}";
    };
  }

  /** A POST with the role's authorization, {@code contentType} and {@code extra} headers. */
  public static HostileRequest post(
      KeyRole role,
      String path,
      String contentType,
      byte[] body,
      List<Map.Entry<String, String>> extra) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    headers.add(h("Authorization", auth(role)));
    if (contentType != null) {
      headers.add(h("Content-Type", contentType));
    }
    headers.addAll(extra);
    return new HostileRequest("POST", path, headers, body);
  }

  /** A Twilio message to {@code to} with a body unique to the row (so no row replays another). */
  public static String smsForm(String to, String text) {
    return "To=" + enc(to) + "&From=%2B15005550006&Body=" + enc(text);
  }

  public static HostileRequest sms(String form) {
    return post(KeyRole.TWILIO_US, MESSAGES, FORM, utf8(form), List.of());
  }

  /** A Twilio call: {@code form} and the caller id. */
  public static HostileRequest call(KeyRole role, String form) {
    return post(role, CALLS, FORM, utf8(form + "&From=%2B15005550006"), List.of());
  }

  public static HostileRequest stripeCharge(String form, List<Map.Entry<String, String>> extra) {
    return post(KeyRole.STRIPE, "/stripe/v1/charges", FORM, utf8(form), extra);
  }

  public static HostileRequest resendEmail(String json, List<Map.Entry<String, String>> extra) {
    return post(KeyRole.RESEND, "/resend/emails", JSON, utf8(json), extra);
  }

  public static Expected refused(int status, String code) {
    return new Expected.Refused(status, code);
  }

  public static Expected forwarded(VendorCheck check) {
    return new Expected.Forwarded(check);
  }

  /** The vendor received a form whose {@code field} has exactly the one value {@code value}. */
  public static VendorCheck formField(String field, String value) {
    return r -> {
      if (!r.form().fields().getOrDefault(field, List.of()).equals(List.of(value))) {
        throw new AssertionError(
            field
                + " = "
                + r.form().fields().getOrDefault(field, List.of())
                + ", expected "
                + value);
      }
    };
  }

  /** The vendor did not receive header {@code name}. */
  public static VendorCheck without(String name) {
    return r -> {
      if (r.header(name).isPresent()) {
        throw new AssertionError(
            "the vendor received header "
                + name
                + ": "
                + r.header(name).get()
                + " in "
                + r.headers());
      }
    };
  }

  /** The vendor received header {@code name} with exactly {@code value}. */
  public static VendorCheck with(String name, String value) {
    return r -> {
      if (!r.header(name).equals(java.util.Optional.of(value))) {
        throw new AssertionError("header " + name + " = " + r.header(name) + ", expected " + value);
      }
    };
  }

  /** The vendor received exactly these body bytes. */
  public static VendorCheck body(String text) {
    return r -> {
      if (!r.bodyText().equals(text)) {
        throw new AssertionError("body " + r.bodyText() + ", expected " + text);
      }
    };
  }

  /** Every check in turn. */
  public static VendorCheck all(VendorCheck... checks) {
    return r -> {
      for (VendorCheck c : checks) {
        c.check(r);
      }
    };
  }
}
