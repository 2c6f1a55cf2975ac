package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

/** Builds Stripe API objects in their documented shapes. Thread-safe (no mutable state). */
final class StripeObjects {
  private final ObjectMapper json;
  private final Clock clock;

  StripeObjects(ObjectMapper json, Clock clock) {
    this.json = json;
    this.clock = clock;
  }

  private ObjectNode base(String prefix, String object, FormBody form) {
    ObjectNode o = json.createObjectNode();
    o.put("id", Ids.stripe(prefix));
    o.put("object", object);
    if (form != null) {
      o.put("amount", Long.parseLong(form.first("amount").orElse("0")));
      o.put("currency", form.first("currency").orElse("usd").toLowerCase(Locale.ROOT));
    }
    o.put("created", clock.instant().getEpochSecond());
    o.put("livemode", false);
    return o;
  }

  private void metadata(ObjectNode o, FormBody form) {
    ObjectNode m = o.putObject("metadata");
    if (form != null) {
      form.nested("metadata").forEach(m::put);
    }
  }

  ObjectNode paymentIntent(FormBody form) {
    ObjectNode o = base("pi_", "payment_intent", form);
    o.put("amount_capturable", 0);
    o.put("amount_received", 0);
    o.put("capture_method", form.first("capture_method").orElse("automatic"));
    o.put("client_secret", o.get("id").asText() + "_secret_" + Ids.stripe("").substring(0, 16));
    o.put("confirmation_method", form.first("confirmation_method").orElse("automatic"));
    o.put("customer", form.first("customer").orElse(null));
    o.put("description", form.first("description").orElse(null));
    o.putNull("latest_charge");
    metadata(o, form);
    String pm = form.first("payment_method").orElse(null);
    o.put("payment_method", pm);
    ArrayNode types = o.putArray("payment_method_types");
    form.fields()
        .forEach(
            (k, v) -> {
              if (k.startsWith("payment_method_types[")) {
                v.forEach(types::add);
              }
            });
    if (types.isEmpty()) {
      types.add("card");
    }
    o.put("status", pm == null ? "requires_payment_method" : "requires_confirmation");
    return o;
  }

  ObjectNode charge(FormBody form, String paymentIntent) {
    ObjectNode o = base("ch_", "charge", form);
    boolean captured = !form.first("capture").filter("false"::equals).isPresent();
    o.put("amount_captured", captured ? o.get("amount").asLong() : 0);
    o.put("amount_refunded", 0);
    o.put("balance_transaction", Ids.stripe("txn_"));
    o.put("captured", captured);
    o.put("customer", form.first("customer").orElse(null));
    o.put("description", form.first("description").orElse(null));
    o.put("paid", true);
    o.put("payment_intent", paymentIntent);
    o.put("refunded", false);
    o.put("status", "succeeded");
    metadata(o, form);
    return o;
  }

  ObjectNode chargeFor(ObjectNode intent, boolean captured) {
    ObjectNode o = base("ch_", "charge", null);
    long amount = intent.get("amount").asLong();
    o.put("amount", amount);
    o.put("currency", intent.get("currency").asText());
    o.put("amount_captured", captured ? amount : 0);
    o.put("amount_refunded", 0);
    o.put("balance_transaction", Ids.stripe("txn_"));
    o.put("captured", captured);
    o.put("paid", true);
    o.put("payment_intent", intent.get("id").asText());
    o.put("refunded", false);
    o.put("status", "succeeded");
    o.putObject("metadata");
    return o;
  }

  ObjectNode refund(ObjectNode charge, long amount, FormBody form) {
    ObjectNode o = base("re_", "refund", null);
    o.put("amount", amount);
    o.put("currency", charge.get("currency").asText());
    o.put("balance_transaction", Ids.stripe("txn_"));
    o.put("charge", charge.get("id").asText());
    o.set("payment_intent", charge.get("payment_intent"));
    o.put("reason", form.first("reason").orElse(null));
    o.put("status", "succeeded");
    metadata(o, form);
    return o;
  }

  ObjectNode payout(FormBody form) {
    ObjectNode o = base("po_", "payout", form);
    o.put("arrival_date", clock.instant().plus(Duration.ofDays(2)).getEpochSecond());
    o.put("automatic", false);
    o.put("balance_transaction", Ids.stripe("txn_"));
    o.put("description", form.first("description").orElse(null));
    o.put("destination", form.first("destination").orElse(Ids.stripe("ba_")));
    o.put("method", form.first("method").orElse("standard"));
    o.put("status", "pending");
    o.put("type", "bank_account");
    metadata(o, form);
    return o;
  }

  ObjectNode transfer(FormBody form) {
    ObjectNode o = base("tr_", "transfer", form);
    o.put("amount_reversed", 0);
    o.put("balance_transaction", Ids.stripe("txn_"));
    o.put("description", form.first("description").orElse(null));
    o.put("destination", form.first("destination").orElse(null));
    o.put("reversed", false);
    o.put("transfer_group", form.first("transfer_group").orElse(null));
    metadata(o, form);
    return o;
  }

  ObjectNode invoice(long amountDue, String currency) {
    ObjectNode o = base("in_", "invoice", null);
    o.put("amount_due", amountDue);
    o.put("amount_paid", 0);
    o.put("amount_remaining", amountDue);
    o.put("currency", currency.toLowerCase(Locale.ROOT));
    o.put("customer", Ids.stripe("cus_"));
    o.put("paid", false);
    o.put("status", "open");
    o.putObject("metadata");
    return o;
  }

  ObjectNode list(String url) {
    ObjectNode o = json.createObjectNode();
    o.put("object", "list");
    o.putArray("data");
    o.put("has_more", false);
    o.put("url", url);
    return o;
  }

  ObjectNode balance() {
    ObjectNode o = json.createObjectNode();
    o.put("object", "balance");
    for (String kind : new String[] {"available", "pending"}) {
      ObjectNode entry = o.putArray(kind).addObject();
      entry.put("amount", 0);
      entry.put("currency", "usd");
      entry.putObject("source_types").put("card", 0);
    }
    o.put("livemode", false);
    return o;
  }
}
