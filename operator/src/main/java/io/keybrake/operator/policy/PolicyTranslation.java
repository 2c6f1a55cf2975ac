package io.keybrake.operator.policy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.operator.crd.SpendPolicySpec;
import java.math.BigDecimal;
import java.util.List;

/**
 * Turns a {@link SpendPolicySpec} into the admin API's {@code policy} JSON and lets the core's
 * {@link PolicyParser} validate it: a policy means the same whether it came from {@code POST /keys}
 * or from {@code kubectl apply}. Every field the spec carries is passed through, including those
 * the parser of this build may not know yet ({@code max_call_usd}, {@code allowed_twiml_urls},
 * {@code allowed_accounts}): the parser, not this class, decides. Stateless and thread-safe.
 */
public final class PolicyTranslation {
  private PolicyTranslation() {}

  /** The admin API's policy object for {@code spec}; money as exact decimals. */
  public static ObjectNode toAdminJson(SpendPolicySpec spec) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    usd(o, "daily_usd_cap", spec.getDailyUsdCap());
    usd(o, "total_usd_cap", spec.getTotalUsdCap());
    usd(o, "max_call_usd", spec.getMaxCallUsd());
    strings(o, "allowed_prefixes", spec.getAllowedPrefixes());
    strings(o, "allowed_countries", spec.getAllowedCountries());
    strings(o, "allowed_endpoints", spec.getAllowedEndpoints());
    strings(o, "allowed_twiml_urls", spec.getAllowedTwimlUrls());
    strings(o, "allowed_accounts", spec.getAllowedAccounts());
    if (spec.getDedupWindowSeconds() != null) {
      o.put("dedup_window_seconds", spec.getDedupWindowSeconds());
    }
    if (spec.getExpiresIn() != null) {
      o.put("expires_in", spec.getExpiresIn());
    }
    if (spec.getMaxCallSeconds() != null) {
      o.put("max_call_seconds", spec.getMaxCallSeconds());
    }
    if (spec.getAllowPremium() != null) {
      o.put("allow_premium", spec.getAllowPremium());
    }
    if (spec.getTimeZone() != null) {
      o.put("time_zone", spec.getTimeZone());
    }
    return o;
  }

  /** {@link PolicyParser#parse} of {@link #toAdminJson}. */
  public static PolicyParser.Parsed parse(SpendPolicySpec spec) {
    try {
      return PolicyParser.parse(toAdminJson(spec));
    } catch (NumberFormatException e) {
      return new PolicyParser.Parsed.Invalid("policy", "has an amount that is not a decimal");
    }
  }

  private static void usd(ObjectNode o, String field, String value) {
    if (value != null) {
      // the CRD's pattern already refused anything but plain decimals; BigDecimal keeps it exact
      o.set(field, JsonNodeFactory.instance.numberNode(new BigDecimal(value)));
    }
  }

  private static void strings(ObjectNode o, String field, List<String> values) {
    if (values != null) {
      ArrayNode a = o.putArray(field);
      values.forEach(a::add);
    }
  }
}
