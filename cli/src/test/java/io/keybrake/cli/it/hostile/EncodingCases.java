package io.keybrake.cli.it.hostile;

import static io.keybrake.cli.it.hostile.Requests.forwarded;
import static io.keybrake.cli.it.hostile.Requests.h;
import static io.keybrake.cli.it.hostile.Requests.refused;
import static io.keybrake.cli.it.hostile.Requests.utf8;

import io.keybrake.cli.it.hostile.HostileCase.HostileRequest;
import io.keybrake.cli.it.hostile.HostileCase.KeyRole;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Media types, charsets, content codings and body bytes: a body is read only under the exact media
 * type the endpoint declares, in UTF-8, uncompressed; anything else is refused before a vendor sees
 * it.
 */
final class EncodingCases {
  private EncodingCases() {}

  /** Content-Type values no endpoint accepts, whatever its body format. */
  private static final String[] NEVER = {
    "text/plain",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
    "application/xml",
    "*/*",
  };

  /** Variants of an endpoint's own type ({@code %s}) that are refused. */
  private static final String[] VARIANTS = {
    "%s-evil",
    "%sx",
    "%s; charset=iso-8859-1",
    "%s; charset=utf-16",
    "%s; charset=us-ascii",
    "%s; charset=utf-8; charset=latin1",
    "%s; boundary=x",
    "%s; charset",
    "x-%s",
  };

  /** Content codings Keybrake cannot read. */
  private static final String[] CODINGS = {"gzip", "deflate", "br", "compress", "identity, gzip"};

  static List<HostileCase> cases() {
    List<HostileCase> out = new ArrayList<>();
    for (KeyRole role : List.of(KeyRole.TWILIO_US, KeyRole.STRIPE, KeyRole.RESEND)) {
      String v = role.name().toLowerCase(java.util.Locale.ROOT);
      String own = role == KeyRole.RESEND ? Requests.JSON : Requests.FORM;
      for (String type : NEVER) {
        out.add(row(v + " Content-Type " + type, role, withType(role, type)));
      }
      for (String variant : VARIANTS) {
        String type = String.format(variant, own);
        out.add(row(v + " Content-Type " + type, role, withType(role, type)));
      }
      out.add(row(v + " no Content-Type", role, withType(role, null)));
      for (String coding : CODINGS) {
        HostileRequest legit = HeaderCases.legit(role, List.of(h("Content-Encoding", coding)));
        out.add(row(v + " Content-Encoding " + coding, role, legit));
      }
      out.add(
          new HostileCase(
              "encodings",
              v + " Content-Type with charset=UTF-8 is read",
              role,
              withType(role, own + ";charset=UTF-8"),
              forwarded(r -> {})));
    }
    out.add(
        row(
            "resend JSON body sent as a form",
            KeyRole.RESEND,
            withType(KeyRole.RESEND, Requests.FORM)));
    out.add(
        row(
            "twilio form body sent as JSON",
            KeyRole.TWILIO_US,
            withType(KeyRole.TWILIO_US, Requests.JSON)));
    byte[][] badForms = {
      {'T', 'o', '=', (byte) 0xff, '1'},
      "To=%2B14155552671&Body=%E2%82".getBytes(StandardCharsets.US_ASCII),
      "To=%2B14155552671&Body=%zz".getBytes(StandardCharsets.US_ASCII),
      "To=%2B14155552671&Body=a\u0000b".getBytes(StandardCharsets.UTF_8),
      "To=%2B14155552671&=x&Body=b".getBytes(StandardCharsets.US_ASCII),
      "\uFEFFTo=%2B14155552671&Body=bom".getBytes(StandardCharsets.UTF_16),
    };
    String[] badFormNames = {
      "raw 0xff byte",
      "truncated UTF-8 escape",
      "bad percent escape",
      "raw NUL",
      "empty field name",
      "UTF-16 body"
    };
    for (int i = 0; i < badForms.length; i++) {
      out.add(
          row(
              "twilio form " + badFormNames[i],
              KeyRole.TWILIO_US,
              Requests.post(
                  KeyRole.TWILIO_US, Requests.MESSAGES, Requests.FORM, badForms[i], List.of())));
    }
    String[][] badJson = {
      {"{\"from\":\"bot@example.com\",\"to\":\"a@example.com\",\"subject\":\"s\"", "truncated"},
      {"{\"to\":\"a@example.com\"} {\"to\":\"x@evil.test\"}", "two values"},
      {"// c\n{\"to\":\"a@example.com\"}", "a comment"},
      {"{'to':'a@example.com'}", "single quotes"},
      {"{\"to\":\"a@example.com\",}", "trailing comma"},
      {"{\"to\":\"a@example.com\",\"text\":NaN}", "NaN"},
      {"", "empty"},
      {"[".repeat(100) + "]".repeat(100), "nested 100 deep"},
    };
    for (String[] j : badJson) {
      out.add(
          row(
              "resend JSON " + j[1],
              KeyRole.RESEND,
              Requests.post(
                  KeyRole.RESEND, "/resend/emails", Requests.JSON, utf8(j[0]), List.of())));
    }
    out.add(
        row(
            "resend JSON in UTF-16",
            KeyRole.RESEND,
            Requests.post(
                KeyRole.RESEND,
                "/resend/emails",
                Requests.JSON,
                "{\"from\":\"bot@example.com\",\"to\":\"a@example.com\"}"
                    .getBytes(StandardCharsets.UTF_16),
                List.of())));
    return out;
  }

  private static HostileRequest withType(KeyRole role, String type) {
    HostileRequest legit = HeaderCases.legit(role, List.of());
    List<java.util.Map.Entry<String, String>> headers = new ArrayList<>();
    for (var e : legit.headers()) {
      if (!e.getKey().equalsIgnoreCase("Content-Type")) {
        headers.add(e);
      }
    }
    if (type != null) {
      headers.add(h("Content-Type", type));
    }
    return new HostileRequest(legit.method(), legit.path(), headers, legit.body());
  }

  private static HostileCase row(String name, KeyRole key, HostileRequest r) {
    return new HostileCase("encodings", name, key, r, refused(400, "unreadable_request"));
  }
}
