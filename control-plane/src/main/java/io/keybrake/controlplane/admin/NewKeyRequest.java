package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.vendor.CredentialField;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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

  /** The fields every request may have; each vendor adds {@code <vendor>_<credential field>}. */
  private static final Set<String> FIELDS = Set.of("name", "vendor", "labels", "policy");

  /** {@code "twilio", "stripe", "resend"}: the vendors of the configured registry, quoted. */
  static String vendorList() {
    return String.join(
        ", ", VendorRegistry.configured().ids().stream().map(v -> "\"" + v + "\"").toList());
  }

  /** The vendor whose credential field {@code field} is, if it is one. */
  private static Optional<String> credentialVendor(String field) {
    for (VendorSpec spec : VendorRegistry.configured().all()) {
      for (CredentialField f : spec.credential()) {
        if (f.adminField(spec.id()).equals(field)) {
          return Optional.of(spec.id());
        }
      }
    }
    return Optional.empty();
  }

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
      if (!FIELDS.contains(f) && credentialVendor(f).isEmpty()) {
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
        || VendorRegistry.configured().find(vendorNode.textValue()).isEmpty()) {
      throw new Bad("vendor", "vendor must be one of " + vendorList());
    }
    String vendor = vendorNode.textValue();
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      Optional<String> owner = credentialVendor(f);
      if (owner.isPresent() && !owner.get().equals(vendor)) {
        throw new Bad(f, f + " does not apply to vendor \"" + vendor + "\"");
      }
    }
    VendorCredential credential = credential(body, AdminViews.vendor(vendor));
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

  /** Every credential field the vendor's spec declares, each checked against its pattern. */
  private static VendorCredential credential(JsonNode body, VendorSpec spec) throws Bad {
    Map<String, String> values = new LinkedHashMap<>();
    for (CredentialField f : spec.credential()) {
      String field = f.adminField(spec.id());
      String value = text(body, field);
      if (!f.accepts(value)) {
        throw new Bad(field, field + " is required: " + f.description());
      }
      values.put(f.name(), value);
    }
    return new VendorCredential.Fields(values);
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
