package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.controlplane.admin.JsonExchange.Reply;
import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetLimits;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.money.Micros;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.core.vendor.VendorRegistry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code POST /budgets} and {@code GET /budgets}: fleet budgets over a label selector and vendor
 * budgets, each with a daily and/or monthly cap (UTC windows). Thread-safe.
 */
final class BudgetRoutes {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Set<String> FIELDS =
      Set.of("name", "selector", "daily_usd_cap", "monthly_usd_cap", "webhook_url");
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final BudgetStore budgets;
  private final Ledger ledger;
  private final Clock clock;
  private final Runnable onChange;
  private final java.util.function.Consumer<Budget> audit;

  /**
   * @param audit writes the audit row of a created budget; a fault propagates
   */
  BudgetRoutes(
      BudgetStore budgets,
      Ledger ledger,
      Clock clock,
      Runnable onChange,
      java.util.function.Consumer<Budget> audit) {
    this.budgets = budgets;
    this.ledger = ledger;
    this.clock = clock;
    this.onChange = onChange;
    this.audit = audit;
  }

  Reply create(JsonNode body) {
    if (body == null || !body.isObject()) {
      return invalid("the body must be a JSON object");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        return invalid("unknown field " + f);
      }
    }
    JsonNode name = body.get("name");
    if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
      return invalid("name must be 1-64 characters: letters, digits, '.', '_', '-'");
    }
    JsonNode selector = body.get("selector");
    if (selector == null || !selector.isObject() || selector.size() != 1) {
      return invalid(
          "selector must be {\"labels\":{…}} or {\"vendor\":\""
              + String.join("|", VendorRegistry.configured().ids())
              + "\"}");
    }
    Map<String, String> labels = new TreeMap<>();
    Optional<String> vendor = Optional.empty();
    if (selector.has("labels")) {
      JsonNode l = selector.get("labels");
      if (!l.isObject() || l.isEmpty()) {
        return invalid("selector.labels must be a non-empty object of strings");
      }
      for (Map.Entry<String, JsonNode> e : l.properties()) {
        if (!e.getValue().isTextual()) {
          return invalid("selector.labels." + e.getKey() + " must be a string");
        }
        labels.put(e.getKey(), e.getValue().asText());
      }
    } else if (selector.has("vendor")
        && VendorRegistry.configured().find(selector.get("vendor").asText()).isPresent()) {
      vendor = Optional.of(selector.get("vendor").asText());
    } else {
      return invalid(
          "selector must be {\"labels\":{…}} or {\"vendor\":\""
              + String.join("|", VendorRegistry.configured().ids())
              + "\"}");
    }
    OptionalLong daily;
    OptionalLong monthly;
    try {
      daily = cap(body, "daily_usd_cap");
      monthly = cap(body, "monthly_usd_cap");
    } catch (IllegalArgumentException e) {
      return invalid(e.getMessage());
    }
    if (daily.isEmpty() && monthly.isEmpty()) {
      return invalid("a budget needs daily_usd_cap or monthly_usd_cap");
    }
    Optional<java.net.URI> webhook = BudgetWebhookField.parse(body.get("webhook_url"));
    if (webhook == null) {
      return invalid("webhook_url must be an http(s) URL");
    }
    Budget b = new Budget(name.asText(), labels, vendor, daily, monthly, clock.instant(), webhook);
    try {
      budgets.create(b);
    } catch (IllegalStateException e) {
      return Reply.error(409, "conflict", "a budget with this name exists");
    }
    audit.accept(b);
    onChange.run();
    return new Reply(201, view(b), "/budgets", null);
  }

  Reply list() {
    ArrayNode out = F.arrayNode();
    for (Budget b : budgets.list()) {
      out.add(view(b));
    }
    ObjectNode o = F.objectNode();
    o.set("budgets", out);
    return Reply.ok(o);
  }

  private ObjectNode view(Budget b) {
    ObjectNode o = F.objectNode();
    o.put("name", b.name());
    ObjectNode sel = o.putObject("selector");
    if (b.vendor().isPresent()) {
      sel.put("vendor", b.vendor().get());
    } else {
      ObjectNode l = sel.putObject("labels");
      b.labels().forEach(l::put);
    }
    o.set(
        "daily_usd_cap",
        b.dailyCapMicros().isPresent()
            ? PolicyParser.usd(b.dailyCapMicros().getAsLong())
            : F.nullNode());
    o.set(
        "monthly_usd_cap",
        b.monthlyCapMicros().isPresent()
            ? PolicyParser.usd(b.monthlyCapMicros().getAsLong())
            : F.nullNode());
    o.put("created_at", b.createdAt().toString());
    b.webhookUrl().ifPresent(u -> o.put("webhook_url", BudgetWebhookField.masked(u)));
    ArrayNode spend = o.putArray("spend");
    Instant now = clock.instant();
    for (BudgetLimit limit : BudgetLimits.limitsOf(b, now)) {
      spend.add(AdminViews.spend(limit, ledger.counter(limit)));
    }
    return o;
  }

  private static OptionalLong cap(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return OptionalLong.empty();
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException(field + " must be a number of USD");
    }
    BigDecimal usd = new BigDecimal(v.asText());
    if (usd.signum() <= 0 || usd.compareTo(PolicyParser.MAX_CAP_USD) > 0 || usd.scale() > 6) {
      throw new IllegalArgumentException(
          field
              + " must be > 0, at most "
              + PolicyParser.MAX_CAP_USD
              + ", with at most 6 decimals");
    }
    return OptionalLong.of(Micros.fromUsd(usd));
  }

  private static Reply invalid(String message) {
    return Reply.error(400, "invalid_request", message);
  }
}
