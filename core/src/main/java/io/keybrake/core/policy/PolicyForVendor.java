package io.keybrake.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.vendor.GenericCost;
import io.keybrake.core.vendor.VendorSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks a policy gets once its vendor is known, at key creation: every field present applies
 * to the vendor (phone prefixes mean nothing on a Stripe key), every {@code allowed_prefixes} entry
 * is of the vendor's kind (E.164 for Twilio, email domains for Resend), and every {@code
 * allowed_endpoints} entry is valid syntax and reaches at least one endpoint of the vendor. Returns
 * the policy parsed again with its endpoint entries in canonical form. Stateless and thread-safe.
 */
final class PolicyForVendor {
  /**
   * The vendors a field applies to; a field not listed applies to every vendor. Fields of other
   * work in progress are listed so that adding them to {@link PolicyParser} needs no change here.
   */
  static final Map<String, Set<String>> VENDOR_FIELDS =
      Map.of(
          "max_call_seconds", Set.of("twilio"),
          "allowed_twiml_urls", Set.of("twilio"),
          "allowed_accounts", Set.of("stripe"));

  private PolicyForVendor() {}

  /**
   * Fields that apply to vendors whose calls send to these kinds of destination, per the spec's
   * cost rules: phone prefixes and countries mean something only where there are phone numbers.
   */
  static final Map<String, Set<GenericCost.DestinationKind>> DESTINATION_FIELDS =
      Map.of(
          "allowed_prefixes",
          Set.of(GenericCost.DestinationKind.PHONE, GenericCost.DestinationKind.EMAIL),
          "allowed_countries",
          Set.of(GenericCost.DestinationKind.PHONE),
          "allow_premium",
          Set.of(GenericCost.DestinationKind.PHONE));

  static PolicyParser.Parsed check(JsonNode node, Policy policy, VendorSpec vendor) {
    String id = vendor.id();
    Set<GenericCost.DestinationKind> kinds = vendor.destinationKinds();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      Set<GenericCost.DestinationKind> needs = DESTINATION_FIELDS.get(field);
      if (needs != null && !node.get(field).isNull() && needs.stream().noneMatch(kinds::contains)) {
        return invalid(
            field,
            "does not apply to a "
                + id
                + " key (it applies to keys of vendors that send to "
                + (needs.size() == 1 ? "phone numbers" : "phone numbers or email addresses")
                + ")");
      }
      Set<String> vendors = VENDOR_FIELDS.get(field);
      if (vendors != null && !node.get(field).isNull() && !vendors.contains(id)) {
        return invalid(
            field, "does not apply to a " + id + " key (it applies to " + list(vendors) + " keys)");
      }
    }
    for (String prefix : policy.allowedPrefixes()) {
      boolean email = prefix.startsWith("@");
      if (!kinds.contains(GenericCost.DestinationKind.EMAIL) && email) {
        return invalid(
            "allowed_prefixes", "must hold E.164 prefixes such as \"+1\" on a " + id + " key");
      }
      if (!kinds.contains(GenericCost.DestinationKind.PHONE) && !email) {
        return invalid(
            "allowed_prefixes",
            "must hold email domains such as \"@example.com\" on a " + id + " key");
      }
    }
    List<String> canonical = new ArrayList<>();
    List<String> entries = policy.allowedEndpoints();
    for (int i = 0; i < entries.size(); i++) {
      String where = "entry " + (i + 1);
      Optional<EndpointEntry> entry = EndpointEntry.parse(entries.get(i));
      if (entry.isEmpty()) {
        return invalid(
            "allowed_endpoints",
            where
                + " is not valid: use an endpoint name (e.g. "
                + example(vendor)
                + "), \"METHOD /path\" or a bare path such as \"/v1/invoices\" (segments of"
                + " letters, digits, '.', '_', '-', '*' or {name})");
      }
      if (entry.get() instanceof EndpointEntry.Name n && vendor.endpoint(n.name()).isEmpty()) {
        return invalid("allowed_endpoints", where + " names no endpoint of " + id);
      }
      if (AllowedEndpoints.expand(entry.get(), vendor).isEmpty()) {
        return invalid("allowed_endpoints", where + " matches no endpoint of " + id);
      }
      canonical.add(entry.get().canonical());
    }
    // parse again from the canonical entries, so every field keeps its one reading
    ObjectNode canonicalNode = ((ObjectNode) node).deepCopy();
    ArrayNode list = canonicalNode.putArray("allowed_endpoints");
    new LinkedHashSet<>(canonical).forEach(list::add);
    return PolicyParser.parse(canonicalNode);
  }

  private static String example(VendorSpec vendor) {
    return vendor.endpoints().isEmpty() ? "messages.create" : vendor.endpoints().get(0).name();
  }

  private static String list(Set<String> vendors) {
    return String.join(" and ", vendors.stream().sorted().toList());
  }

  private static PolicyParser.Parsed invalid(String field, String reason) {
    return new PolicyParser.Parsed.Invalid(field, reason);
  }
}
