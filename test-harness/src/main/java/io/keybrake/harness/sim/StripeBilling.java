package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Stripe Billing part of {@link StripeSimulator}, in Stripe's documented shapes: prices
 * (create, retrieve), invoices (create as a draft, finalize; retrieve and pay are the simulator's),
 * invoice items (added to the customer's pending items or to a draft invoice), subscriptions
 * (create: the first invoice is created and paid at once; list, optionally by {@code customer}) and
 * billing-portal sessions. Shares the simulator's object map. Thread-safe.
 */
final class StripeBilling {
  private static final Pattern FINALIZE = Pattern.compile("^/v1/invoices/([^/]+)/finalize$");
  private static final Pattern ITEM =
      Pattern.compile("^items\\[([0-9]+)\\]\\[(price|quantity)\\]$");

  private final ObjectMapper json;
  private final Clock clock;
  private final Map<String, ObjectNode> objects;

  StripeBilling(ObjectMapper json, Clock clock, Map<String, ObjectNode> objects) {
    this.json = json;
    this.clock = clock;
    this.objects = objects;
  }

  /** Answers a Billing POST, or empty when the path is not one of them. */
  Optional<SimResponse> post(String path, FormBody form) {
    Matcher finalize = FINALIZE.matcher(path);
    if (finalize.matches()) {
      return Optional.of(finalizeInvoice(finalize.group(1)));
    }
    return Optional.ofNullable(
        switch (path) {
          case "/v1/prices" -> createPrice(form);
          case "/v1/invoices" -> createInvoice(form);
          case "/v1/invoiceitems" -> createInvoiceItem(form);
          case "/v1/subscriptions" -> createSubscription(form);
          case "/v1/billing_portal/sessions" -> portalSession(form);
          default -> null;
        });
  }

  /** {@code GET /v1/subscriptions[?customer=…]}. */
  SimResponse listSubscriptions(String query) {
    String customer = queryParam(query, "customer");
    ObjectNode list = json.createObjectNode();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    objects.values().stream()
        .filter(o -> "subscription".equals(o.path("object").asText()))
        .filter(o -> customer == null || customer.equals(o.path("customer").asText()))
        .sorted((a, b) -> Long.compare(b.get("created").asLong(), a.get("created").asLong()))
        .forEach(data::add);
    list.put("has_more", false);
    list.put("url", "/v1/subscriptions");
    return ok(list);
  }

  private SimResponse createPrice(FormBody form) {
    if (!form.has("currency")) {
      return StripeErrors.parameterMissing("currency");
    }
    ObjectNode p = base("price_", "price");
    p.put("active", true);
    p.put("billing_scheme", form.first("billing_scheme").orElse("per_unit"));
    p.put("currency", form.first("currency").orElseThrow().toLowerCase(Locale.ROOT));
    p.put("product", form.first("product").orElse(Ids.stripe("prod_")));
    Map<String, String> recurring = form.nested("recurring");
    if (recurring.isEmpty()) {
      p.putNull("recurring");
      p.put("type", "one_time");
    } else {
      ObjectNode r = p.putObject("recurring");
      r.put("interval", recurring.getOrDefault("interval", "month"));
      r.put("interval_count", 1);
      r.put("usage_type", recurring.getOrDefault("usage_type", "licensed"));
      p.put("type", "recurring");
    }
    Optional<String> unit = form.first("unit_amount");
    if (unit.isPresent()) {
      p.put("unit_amount", Long.parseLong(unit.get()));
      p.put("unit_amount_decimal", unit.get());
    } else {
      p.putNull("unit_amount");
      p.putNull("unit_amount_decimal");
    }
    p.putObject("metadata");
    return store(p);
  }

  private SimResponse createInvoice(FormBody form) {
    if (!form.has("customer")) {
      return StripeErrors.parameterMissing("customer");
    }
    String customer = form.first("customer").orElseThrow();
    ObjectNode invoice = invoice(customer, form.first("currency").orElse("usd"), 0, "draft");
    if ("include".equals(form.first("pending_invoice_items_behavior").orElse("exclude"))) {
      for (ObjectNode item : objects.values()) {
        synchronized (item) {
          if ("invoiceitem".equals(item.path("object").asText())
              && customer.equals(item.path("customer").asText())
              && item.path("invoice").isNull()) {
            item.put("invoice", invoice.get("id").asText());
            addToInvoice(invoice, item.get("amount").asLong());
          }
        }
      }
    }
    return store(invoice);
  }

  private SimResponse finalizeInvoice(String id) {
    ObjectNode invoice = objects.get(id);
    if (invoice == null || !"invoice".equals(invoice.path("object").asText())) {
      return StripeErrors.missing(404, "invoice", id, "invoice");
    }
    synchronized (invoice) {
      if (!"draft".equals(invoice.get("status").asText())) {
        return StripeErrors.unexpectedState(id, invoice.get("status").asText(), "finalize");
      }
      invoice.put("status", "open");
      return ok(invoice);
    }
  }

  private SimResponse createInvoiceItem(FormBody form) {
    if (!form.has("customer")) {
      return StripeErrors.parameterMissing("customer");
    }
    long quantity = Long.parseLong(form.first("quantity").orElse("1"));
    long amount;
    String currency;
    ObjectNode priceRef = null;
    if (form.has("price")) {
      priceRef = objects.get(form.first("price").orElseThrow());
      if (priceRef == null || !"price".equals(priceRef.path("object").asText())) {
        return StripeErrors.missing(400, "price", form.first("price").orElseThrow(), "price");
      }
      amount = priceRef.get("unit_amount").asLong() * quantity;
      currency = priceRef.get("currency").asText();
    } else if (form.has("amount") && form.has("currency")) {
      amount = Long.parseLong(form.first("amount").orElseThrow());
      currency = form.first("currency").orElseThrow().toLowerCase(Locale.ROOT);
    } else {
      return StripeErrors.parameterMissing(form.has("amount") ? "currency" : "amount");
    }
    ObjectNode item = base("ii_", "invoiceitem");
    item.put("amount", amount);
    item.put("currency", currency);
    item.put("customer", form.first("customer").orElseThrow());
    item.put("description", form.first("description").orElse(null));
    item.put("quantity", quantity);
    item.set("price", priceRef == null ? null : priceRef.deepCopy());
    item.putNull("invoice");
    Optional<String> invoiceId = form.first("invoice");
    if (invoiceId.isPresent()) {
      ObjectNode invoice = objects.get(invoiceId.get());
      if (invoice == null || !"invoice".equals(invoice.path("object").asText())) {
        return StripeErrors.missing(400, "invoice", invoiceId.get(), "invoice");
      }
      synchronized (invoice) {
        if (!"draft".equals(invoice.get("status").asText())) {
          return StripeErrors.unexpectedState(invoiceId.get(), "open", "add items to");
        }
        addToInvoice(invoice, amount);
        item.put("invoice", invoiceId.get());
      }
    }
    item.putObject("metadata");
    return store(item);
  }

  private SimResponse createSubscription(FormBody form) {
    if (!form.has("customer")) {
      return StripeErrors.parameterMissing("customer");
    }
    TreeSet<Integer> lines = new TreeSet<>();
    for (String name : form.fields().keySet()) {
      Matcher m = ITEM.matcher(name);
      if (m.matches()) {
        lines.add(Integer.parseInt(m.group(1)));
      }
    }
    if (lines.isEmpty()) {
      return StripeErrors.parameterMissing("items");
    }
    String customer = form.first("customer").orElseThrow();
    ObjectNode sub = base("sub_", "subscription");
    ArrayNode data = json.createArrayNode();
    long total = 0;
    String currency = null;
    for (int line : lines) {
      String priceId = form.first("items[" + line + "][price]").orElse("");
      ObjectNode price = objects.get(priceId);
      if (price == null || !"price".equals(price.path("object").asText())) {
        return StripeErrors.missing(400, "price", priceId, "items[" + line + "][price]");
      }
      long quantity = Long.parseLong(form.first("items[" + line + "][quantity]").orElse("1"));
      ObjectNode item = data.addObject();
      item.put("id", Ids.stripe("si_"));
      item.put("object", "subscription_item");
      item.put("created", clock.instant().getEpochSecond());
      item.set("price", price.deepCopy());
      item.put("quantity", quantity);
      item.put("subscription", sub.get("id").asText());
      total += price.get("unit_amount").asLong() * quantity;
      currency = price.get("currency").asText();
    }
    ObjectNode invoice = invoice(customer, currency, total, "paid");
    invoice.put("amount_paid", total);
    invoice.put("amount_remaining", 0);
    invoice.put("paid", true);
    invoice.put("subscription", sub.get("id").asText());
    objects.put(invoice.get("id").asText(), invoice);
    long now = clock.instant().getEpochSecond();
    sub.put("customer", customer);
    sub.put("currency", currency);
    sub.put("status", "active");
    sub.put("collection_method", "charge_automatically");
    sub.put("cancel_at_period_end", false);
    sub.put("current_period_start", now);
    sub.put("current_period_end", now + 30L * 24 * 3600);
    ObjectNode items = sub.putObject("items");
    items.put("object", "list");
    items.set("data", data);
    items.put("has_more", false);
    items.put("url", "/v1/subscription_items?subscription=" + sub.get("id").asText());
    sub.put("latest_invoice", invoice.get("id").asText());
    sub.putObject("metadata");
    return store(sub);
  }

  private SimResponse portalSession(FormBody form) {
    if (!form.has("customer")) {
      return StripeErrors.parameterMissing("customer");
    }
    ObjectNode s = base("bps_", "billing_portal.session");
    s.put("customer", form.first("customer").orElseThrow());
    s.put("return_url", form.first("return_url").orElse(null));
    s.put("url", "https://billing.stripe.com/p/session/test_" + Ids.stripe(""));
    return store(s);
  }

  ObjectNode invoice(String customer, String currency, long amountDue, String status) {
    ObjectNode o = base("in_", "invoice");
    o.put("amount_due", amountDue);
    o.put("amount_paid", 0);
    o.put("amount_remaining", amountDue);
    o.put("currency", currency.toLowerCase(Locale.ROOT));
    o.put("customer", customer);
    o.put("paid", false);
    o.put("status", status);
    o.putNull("subscription");
    o.putObject("metadata");
    return o;
  }

  private static void addToInvoice(ObjectNode invoice, long amount) {
    invoice.put("amount_due", invoice.get("amount_due").asLong() + amount);
    invoice.put("amount_remaining", invoice.get("amount_remaining").asLong() + amount);
  }

  private ObjectNode base(String prefix, String object) {
    ObjectNode o = json.createObjectNode();
    o.put("id", Ids.stripe(prefix));
    o.put("object", object);
    o.put("created", clock.instant().getEpochSecond());
    o.put("livemode", false);
    return o;
  }

  private SimResponse store(ObjectNode o) {
    objects.put(o.get("id").asText(), o);
    return ok(o);
  }

  private static SimResponse ok(ObjectNode o) {
    synchronized (o) {
      return SimResponse.json(200, o.toString());
    }
  }

  private static String queryParam(String query, String name) {
    List<String> values = new ArrayList<>();
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
        values.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return values.isEmpty() ? null : values.get(0);
  }
}
