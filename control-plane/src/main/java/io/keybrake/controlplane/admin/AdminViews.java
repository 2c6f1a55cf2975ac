package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.policy.AllowedEndpoints;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.secret.SecretMask;
import io.keybrake.core.vendor.CostRule;
import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the admin API shows keys, spend and audit rows as JSON. Never shows a vault key secret or a
 * vendor credential, except the secret passed explicitly to {@link #createdKey}. Money is exact
 * JSON numbers; instants are ISO-8601 UTC. Stateless and thread-safe.
 */
final class AdminViews {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private AdminViews() {}

  /** A key as {@code GET /keys/{id}} shows it: no secret, no credential. */
  static ObjectNode key(KeyRecord k, Instant now) {
    return key(k, now, null);
  }

  /** A just-created key: as {@link #key} plus {@code vault_key}, the only time it is shown. */
  static ObjectNode createdKey(KeyRecord k, Instant now, String vaultKey) {
    return key(k, now, vaultKey);
  }

  private static ObjectNode key(KeyRecord k, Instant now, String vaultKey) {
    ObjectNode o = F.objectNode();
    o.put("id", k.id());
    o.put("name", k.name());
    o.put("vendor", k.vendor());
    if (vaultKey != null) {
      o.put("vault_key", vaultKey);
    }
    o.set("labels", labels(k.labels()));
    o.set("policy", PolicyParser.toJson(k.policy(), k.vendor()));
    o.set("allowed_endpoints_expanded", expanded(k));
    o.put("created_at", k.createdAt().toString());
    o.set("expires_at", instant(k.expiresAt()));
    o.set("revoked_at", instant(k.revokedAt()));
    o.put("status", k.isRevoked() ? "revoked" : k.isExpiredAt(now) ? "expired" : "active");
    return o;
  }

  /** The spec of a vendor the admin API accepts (one of {@link VendorRegistry#configured()}). */
  static VendorSpec vendor(String id) {
    return VendorRegistry.configured()
        .find(id)
        .orElseThrow(() -> new IllegalArgumentException("no vendor " + id));
  }

  /**
   * The policy's {@code allowed_endpoints} as Keybrake understood them: each entry (or {@code "*"}
   * for an empty list) with the vendor endpoints it lets calls through to.
   */
  private static JsonNode expanded(KeyRecord k) {
    ObjectNode o = F.objectNode();
    Optional<VendorSpec> spec = VendorRegistry.configured().find(k.vendor());
    if (spec.isEmpty()) {
      return o;
    }
    for (Map.Entry<String, List<EndpointSpec>> e :
        AllowedEndpoints.of(k.policy(), spec.get()).entrySet()) {
      ArrayNode eps = o.putArray(e.getKey());
      for (EndpointSpec ep : e.getValue()) {
        ObjectNode v = eps.addObject();
        v.put("name", ep.name());
        v.put("method", ep.method());
        v.put("path", ep.pathTemplate());
        v.put("priced", ep.cost() != CostRule.FREE);
      }
    }
    return o;
  }

  /**
   * One budget's state: {@code spent_usd} is settled spend, {@code reserved_usd} open reservations,
   * {@code remaining_usd} what the cap still allows after both. Lifetime windows show {@code null}
   * bounds.
   */
  static ObjectNode spend(BudgetLimit limit, CounterSnapshot c) {
    ObjectNode o = F.objectNode();
    o.put("budget", limit.budget());
    o.set("spent_usd", PolicyParser.usd(c.settledMicros()));
    o.set("reserved_usd", PolicyParser.usd(c.reservedMicros()));
    o.set("cap_usd", PolicyParser.usd(limit.capMicros()));
    o.set("remaining_usd", PolicyParser.usd(Math.max(0, limit.capMicros() - c.totalMicros())));
    boolean lifetime =
        limit.windowStart().equals(Instant.EPOCH) && limit.windowEnd().equals(Instant.MAX);
    o.set("window_start", lifetime ? F.nullNode() : F.textNode(limit.windowStart().toString()));
    o.set("window_end", lifetime ? F.nullNode() : F.textNode(limit.windowEnd().toString()));
    return o;
  }

  /** One audit row with its place in the hash chain. */
  static ObjectNode auditRow(AuditRecord r) {
    AuditEntry e = r.entry();
    ObjectNode o = F.objectNode();
    o.put("seq", r.seq());
    o.put("at", e.at().toString());
    o.put("key_id", e.keyId());
    o.put("key_name", e.keyName());
    o.set("labels", labels(e.labels()));
    o.put("vendor", e.vendor());
    o.put("method", e.method());
    // rows written before paths were masked may still quote a vault key: never show it
    o.put("endpoint", SecretMask.mask(e.endpoint()));
    o.put("destination", e.destination());
    o.put("body_bytes", e.bodyBytes());
    o.set("estimated_usd", PolicyParser.usd(e.estimatedMicros()));
    o.set(
        "actual_usd", e.actualMicros() == null ? F.nullNode() : PolicyParser.usd(e.actualMicros()));
    o.put("vendor_object_id", e.vendorObjectId());
    if (AdminAudit.DECISION.equals(e.decision())) {
      o.put("actor", e.vendorObjectId());
    }
    o.put("decision", e.decision());
    o.put("reason", e.reason());
    o.put("http_status", e.httpStatus());
    o.set("spent_usd", PolicyParser.usd(e.spentMicros()));
    o.set("cap_usd", e.capMicros() == null ? F.nullNode() : PolicyParser.usd(e.capMicros()));
    o.put("budget", e.budget());
    o.set("latency_ms", millis(e.latencyMicros()));
    o.put("settlement", e.settlement());
    o.put("prev_hash", r.prevHash());
    o.put("hash", r.hash());
    return o;
  }

  static ObjectNode error(String code, String message) {
    ObjectNode o = F.objectNode();
    o.put("code", code);
    o.put("message", message);
    return o;
  }

  private static JsonNode millis(long micros) {
    if (micros % 1000 == 0) {
      return F.numberNode(micros / 1000);
    }
    return DecimalNode.valueOf(BigDecimal.valueOf(micros, 3).stripTrailingZeros());
  }

  private static ObjectNode labels(Map<String, String> labels) {
    ObjectNode o = F.objectNode();
    labels.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> o.put(e.getKey(), e.getValue()));
    return o;
  }

  private static JsonNode instant(Optional<Instant> at) {
    return at.<JsonNode>map(i -> F.textNode(i.toString())).orElse(F.nullNode());
  }
}
