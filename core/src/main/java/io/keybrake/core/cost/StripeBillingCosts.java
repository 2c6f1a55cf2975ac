package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.request.FormBody;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stripe Billing cost rules: a new subscription (its first invoice, charged at once: price x
 * quantity of every item and one-time item), a new invoice item (its amount, or price x quantity),
 * and a subscription update (free only when it changes nothing that can be invoiced). A price named
 * by id is looked up with the real credential. Any tax ({@code automatic_tax}, tax rates) doubles
 * the bound: a Stripe tax rate is at most 100%. Thread-safe (stateless).
 */
final class StripeBillingCosts {
  /** Most prices one call may make Keybrake look up. */
  static final int MAX_LOOKUPS = 20;

  private static final Pattern LINE =
      Pattern.compile("(items|add_invoice_items)\\[([0-9]{1,3})\\]\\[([a-z_]+)\\].*");

  /** Fields a subscription update may change without an invoice or proration being charged. */
  private static final Set<String> UPDATE_WITHOUT_CHARGE =
      Set.of(
          "metadata",
          "cancel_at_period_end",
          "cancellation_details",
          "description",
          "default_payment_method",
          "default_source",
          "days_until_due",
          "payment_settings",
          "expand");

  private StripeBillingCosts() {}

  static CallEstimate subscription(
      FormBody form, String canonical, VendorObjects objects, Currencies currencies)
      throws RequestRejected {
    Set<String> lines = new TreeSet<>();
    boolean taxed = taxed(form, "default_tax_rates") || automaticTax(form);
    for (String name : form.names()) {
      Matcher m = LINE.matcher(name);
      if (m.matches()) {
        lines.add(m.group(1) + "[" + m.group(2) + "]");
        taxed |= m.group(3).equals("tax_rates");
      }
    }
    if (form.names().contains("plan")) {
      lines.add(""); // the legacy top-level plan and quantity
    }
    if (lines.isEmpty()) {
      throw unbounded("a subscription without items cannot be bounded");
    }
    if (lines.size() > MAX_LOOKUPS) {
      throw unbounded("a subscription with more than " + MAX_LOOKUPS + " items is not priced");
    }
    long micros = 0;
    for (String line : lines) {
      String price = line.isEmpty() ? "plan" : line + "[price]";
      if (!line.isEmpty() && Fields.single(form, price).isEmpty()) {
        price = line + "[plan]";
      }
      micros =
          Math.addExact(micros, lineMicros(form, line, price, objects, currencies, "subscription"));
    }
    return estimate(taxed ? Math.multiplyExact(micros, 2) : micros, lines.size(), taxed, canonical);
  }

  static CallEstimate invoiceItem(
      FormBody form, String canonical, VendorObjects objects, Currencies currencies)
      throws RequestRejected {
    boolean taxed = taxed(form, "tax_rates");
    Optional<String> amount = Fields.single(form, "amount");
    long micros;
    if (amount.isPresent()) {
      String currency = Fields.required(form, "currency", "to price this invoice item");
      String text = amount.get();
      boolean credit = text.startsWith("-");
      long minor = Fields.whole(credit ? text.substring(1) : text, "amount");
      micros = credit ? 0 : currencies.toUsdMicros(minor, currency);
    } else if (Fields.single(form, "unit_amount_decimal").isPresent()) {
      String currency = Fields.required(form, "currency", "to price this invoice item");
      long unit = ceilMinor(Fields.single(form, "unit_amount_decimal").get());
      micros = currencies.toUsdMicros(times(unit, quantity(form, "quantity")), currency);
    } else {
      micros = lineMicros(form, "", "price", objects, currencies, "invoice item");
    }
    return estimate(taxed ? Math.multiplyExact(micros, 2) : micros, 1, taxed, canonical);
  }

  static CallEstimate subscriptionUpdate(FormBody form, String canonical) throws RequestRejected {
    for (String name : form.names()) {
      int bracket = name.indexOf('[');
      String root = bracket < 0 ? name : name.substring(0, bracket);
      if (!UPDATE_WITHOUT_CHARGE.contains(root)) {
        throw unbounded(
            "a subscription update that sets '"
                + (root.length() > 40 ? root.substring(0, 40) + "…" : root)
                + "' can invoice a proration Keybrake cannot bound before the call; only "
                + String.join(", ", new TreeSet<>(UPDATE_WITHOUT_CHARGE))
                + " may be changed through Keybrake");
      }
    }
    return new CallEstimate(0, List.of(), canonical, Optional.empty(), "changes nothing billed");
  }

  /** A cancellation is free unless it asks for a final invoice now ({@code invoice_now}). */
  static CallEstimate subscriptionCancel(FormBody form, String canonical) throws RequestRejected {
    Optional<String> invoiceNow = Fields.single(form, "invoice_now");
    if (invoiceNow.isPresent() && !invoiceNow.get().equals("false")) {
      throw unbounded(
          "cancelling with invoice_now charges a final invoice Keybrake cannot bound before the"
              + " call; cancel without it");
    }
    return new CallEstimate(0, List.of(), canonical, Optional.empty(), "no invoice now");
  }

  /**
   * One line's price x quantity: inline {@code price_data}, else the price named by {@code
   * priceField} (looked up). {@code line} is the field prefix, e.g. {@code items[0]}, or {@code
   * ""}.
   */
  private static long lineMicros(
      FormBody form,
      String line,
      String priceField,
      VendorObjects objects,
      Currencies currencies,
      String what)
      throws RequestRejected {
    String quantityField = line.isEmpty() ? "quantity" : line + "[quantity]";
    long quantity = quantity(form, quantityField);
    String data = line.isEmpty() ? "price_data" : line + "[price_data]";
    Optional<String> dataCurrency = Fields.single(form, data + "[currency]");
    if (dataCurrency.isPresent()) {
      Optional<String> unit = Fields.single(form, data + "[unit_amount]");
      Optional<String> decimal = Fields.single(form, data + "[unit_amount_decimal]");
      long minor;
      if (unit.isPresent()) {
        minor = Fields.whole(unit.get(), data + "[unit_amount]");
      } else if (decimal.isPresent()) {
        minor = ceilMinor(decimal.get());
      } else {
        throw unbounded(data + " has no unit_amount; the " + what + " cannot be bounded");
      }
      return currencies.toUsdMicros(times(minor, quantity), dataCurrency.get());
    }
    Optional<String> priceId = Fields.single(form, priceField);
    if (priceId.isEmpty() || priceId.get().isEmpty()) {
      throw unbounded(
          (line.isEmpty() ? "the " + what : line) + " names no price; it cannot be bounded");
    }
    JsonNode price = objects.get("/v1/prices/" + StripeLookups.objectId(priceId.get()));
    String name = "the price in " + priceField; // not its id: an agent may put a secret there
    if ("tiered".equals(price.path("billing_scheme").asText())) {
      throw unbounded(name + " is tiered; Keybrake bounds only per-unit prices");
    }
    if ("metered".equals(price.path("recurring").path("usage_type").asText())) {
      throw unbounded(name + " is metered: its charge is set by usage Keybrake never sees");
    }
    JsonNode currency = price.get("currency");
    JsonNode unit = price.get("unit_amount");
    JsonNode decimal = price.get("unit_amount_decimal");
    long minor;
    if (unit != null && unit.isIntegralNumber() && unit.canConvertToLong() && unit.asLong() >= 0) {
      minor = unit.longValue();
    } else if (decimal != null && decimal.isTextual()) {
      minor = ceilMinor(decimal.textValue());
    } else {
      throw unbounded(name + " has no unit_amount; the " + what + " cannot be bounded");
    }
    if (currency == null || !currency.isTextual()) {
      throw unbounded(name + " has no currency");
    }
    return currencies.toUsdMicros(times(minor, quantity), currency.textValue());
  }

  private static long quantity(FormBody form, String field) throws RequestRejected {
    Optional<String> q = Fields.single(form, field);
    return q.isEmpty() ? 1 : Fields.whole(q.get(), field);
  }

  private static long times(long unit, long quantity) throws RequestRejected {
    try {
      return Math.multiplyExact(unit, quantity);
    } catch (ArithmeticException e) {
      throw Fields.unreadable("price x quantity is too large to price");
    }
  }

  /** A decimal amount in minor units ({@code "12.5"}), rounded up to a whole minor unit. */
  private static long ceilMinor(String text) throws RequestRejected {
    if (!text.matches("[0-9]{1,15}(\\.[0-9]{1,12})?")) {
      throw Fields.unreadable("unit_amount_decimal must be a non-negative decimal number");
    }
    return new BigDecimal(text).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  private static boolean taxed(FormBody form, String field) {
    for (String name : form.names()) {
      if (name.equals(field) || name.startsWith(field + "[")) {
        return true;
      }
    }
    return false;
  }

  private static boolean automaticTax(FormBody form) throws RequestRejected {
    return Fields.single(form, "automatic_tax[enabled]").filter("true"::equals).isPresent();
  }

  private static CallEstimate estimate(long micros, int lines, boolean taxed, String canonical) {
    String detail =
        lines
            + (lines == 1 ? " line" : " lines")
            + " = $"
            + Micros.format(taxed ? micros / 2 : micros)
            + (taxed ? ", x2 for tax (a tax rate is at most 100%)" : "");
    return new CallEstimate(micros, List.of(), canonical, Optional.empty(), detail);
  }

  private static RequestRejected unbounded(String message) {
    return new RequestRejected(RefusalCode.COST_UNBOUNDED, message);
  }
}
