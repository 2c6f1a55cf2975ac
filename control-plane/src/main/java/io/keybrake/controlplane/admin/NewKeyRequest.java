package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated {@code POST /keys} body. {@link #parse} never echoes a credential: problems name the
 * field, not its value. Immutable; {@link #toString()} hides the credential.
 */
record NewKeyRequest(
    String name,
    String vendor,
    VendorCredential credential,
    Map<String, String> labels,
    Policy policy) {

  static final int MAX_NAME_CHARS = 128;
  static final int MAX_LABELS = 64;
  static final int MAX_LABEL_KEY_CHARS = 128;
  static final int MAX_LABEL_VALUE_CHARS = 256;
  static final int MAX_SECRET_CHARS = 512;

  static final Set<String> VENDORS = Set.of("twilio", "stripe", "resend");

  private static final Map<String, String> CREDENTIAL_FIELD_VENDOR =
      Map.of(
          "twilio_account_sid", "twilio",
          "twilio_auth_token", "twilio",
          "stripe_secret_key", "stripe",
          "resend_api_key", "resend");
  private static final Set<String> FIELDS =
      Set.of(
          "name",
          "vendor",
          "labels",
          "policy",
          "twilio_account_sid",
          "twilio_auth_token",
          "stripe_secret_key",
          "resend_api_key");
  private static final Pattern TWILIO_SID = Pattern.compile("AC[0-9a-fA-F]{32}");

  NewKeyRequest {
    labels = Map.copyOf(labels);
  }

  @Override
  public String toString() {
    return "NewKeyRequest[name=" + name + ", vendor=" + vendor + ", labels=" + labels + "]";
  }

  /** The result of {@link #parse}. */
  sealed interface Parsed {
    record Ok(NewKeyRequest request) implements Parsed {}

    /** The first problem; {@code message} starts with the field's name. */
    record Invalid(String field, String message) implements Parsed {}
  }

  static Parsed parse(JsonNode body) {
    try {
      return new Parsed.Ok(parseOrThrow(body));
    } catch (Bad b) {
      return new Parsed.Invalid(b.field, b.getMessage());
    }
  }

  private static NewKeyRequest parseOrThrow(JsonNode body) throws Bad {
    if (body == null || !body.isObject()) {
      throw new Bad("body", "body must be a JSON object");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        String shown = printable(f);
        throw new Bad(shown, shown + " is not a known field");
      }
    }
    JsonNode name = body.get("name");
    if (name == null || !name.isTextual()) {
      throw new Bad("name", "name is required and must be a string");
    }
    String n = name.textValue();
    if (n.isBlank() || n.length() > MAX_NAME_CHARS || hasControl(n)) {
      throw new Bad("name", "name must be 1 to " + MAX_NAME_CHARS + " characters, not blank");
    }
    JsonNode vendorNode = body.get("vendor");
    if (vendorNode == null
        || !vendorNode.isTextual()
        || !VENDORS.contains(vendorNode.textValue())) {
      throw new Bad("vendor", "vendor must be one of \"twilio\", \"stripe\", \"resend\"");
    }
    String vendor = vendorNode.textValue();
    for (Map.Entry<String, String> e : CREDENTIAL_FIELD_VENDOR.entrySet()) {
      if (body.has(e.getKey()) && !e.getValue().equals(vendor)) {
        throw new Bad(e.getKey(), e.getKey() + " does not apply to vendor \"" + vendor + "\"");
      }
    }
    VendorCredential credential = credential(body, vendor);
    Map<String, String> labels = labels(body.get("labels"));
    JsonNode policyNode = body.get("policy");
    if (policyNode == null || policyNode.isNull()) {
      throw new Bad("policy", "policy is required (at least daily_usd_cap)");
    }
    PolicyParser.Parsed policy = PolicyParser.parse(policyNode, AdminViews.vendor(vendor));
    if (policy instanceof PolicyParser.Parsed.Invalid bad) {
      String field = bad.field().equals("policy") ? "policy" : "policy." + bad.field();
      throw new Bad(field, field + " " + bad.reason());
    }
    return new NewKeyRequest(
        n, vendor, credential, labels, ((PolicyParser.Parsed.Ok) policy).policy());
  }

  private static VendorCredential credential(JsonNode body, String vendor) throws Bad {
    switch (vendor) {
      case "twilio":
        {
          String sid = text(body, "twilio_account_sid");
          if (sid == null || !TWILIO_SID.matcher(sid).matches()) {
            throw new Bad(
                "twilio_account_sid",
                "twilio_account_sid is required: \"AC\" followed by 32 hex characters");
          }
          String token = text(body, "twilio_auth_token");
          if (!plausibleSecret(token, "")) {
            throw new Bad("twilio_auth_token", "twilio_auth_token is required: a non-empty token");
          }
          return new VendorCredential.Twilio(sid, token);
        }
      case "stripe":
        {
          String key = text(body, "stripe_secret_key");
          if (!plausibleSecret(key, "sk_") && !plausibleSecret(key, "rk_")) {
            throw new Bad(
                "stripe_secret_key",
                "stripe_secret_key is required: a secret (sk_…) or restricted (rk_…) key");
          }
          return new VendorCredential.ApiKey(key);
        }
      default:
        {
          String key = text(body, "resend_api_key");
          if (!plausibleSecret(key, "re_")) {
            throw new Bad(
                "resend_api_key", "resend_api_key is required: an API key starting \"re_\"");
          }
          return new VendorCredential.ApiKey(key);
        }
    }
  }

  private static Map<String, String> labels(JsonNode node) throws Bad {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new Bad("labels", "labels must be an object of string values");
    }
    if (node.size() > MAX_LABELS) {
      throw new Bad("labels", "labels must have at most " + MAX_LABELS + " entries");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String k = e.getKey();
      if (k.isEmpty() || k.length() > MAX_LABEL_KEY_CHARS || hasControl(k)) {
        throw new Bad(
            "labels",
            "labels keys must be 1 to " + MAX_LABEL_KEY_CHARS + " characters without control");
      }
      JsonNode v = e.getValue();
      if (!v.isTextual()
          || v.textValue().length() > MAX_LABEL_VALUE_CHARS
          || hasControl(v.textValue())) {
        String field = "labels." + printable(k);
        throw new Bad(
            field, field + " must be a string of at most " + MAX_LABEL_VALUE_CHARS + " characters");
      }
      out.put(k, v.textValue());
    }
    return out;
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  /** Non-null, starts with the prefix and has more after it, no whitespace or control chars. */
  private static boolean plausibleSecret(String s, String prefix) {
    if (s == null
        || s.length() <= prefix.length()
        || s.length() > MAX_SECRET_CHARS
        || !s.startsWith(prefix)) {
      return false;
    }
    return s.codePoints().allMatch(c -> c > 0x20 && c < 0x7f);
  }

  private static boolean hasControl(String s) {
    return s.codePoints().anyMatch(Character::isISOControl);
  }

  private static String printable(String s) {
    if (!s.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      return "(unprintable field)";
    }
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }

  /** Control flow inside {@link #parse} only. */
  private static final class Bad extends Exception {
    private static final long serialVersionUID = 1L;
    final String field;

    Bad(String field, String message) {
      super(message, null, false, false);
      this.field = field;
    }
  }
}
