package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.money.Micros;
import io.keybrake.core.phone.PhoneNumbers;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.sms.SmsSegments;
import io.keybrake.core.vendor.GenericCost;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies a {@link GenericCost}, the cost rules a spec writes without code: a fixed price per call,
 * a price per entry of some fields, an amount in a currency, SMS segments by the destination's
 * country, a price per minute with a ceiling. Reads a form body (flat fields) or a JSON body
 * (dotted paths, {@code []} for every array entry). Thread-safe (stateless).
 */
final class GenericCosts {
  private GenericCosts() {}

  /** The body a rule reads values from. */
  private interface Body {
    /** Every value reached by {@code path}; arrays at the end are expanded. */
    List<JsonValue> values(String path) throws RequestRejected;
  }

  /** A value read from a body: text, or a JSON value that is not text. */
  private record JsonValue(String text, boolean textual) {}

  static CallEstimate form(GenericCost rule, FormBody form, String canonical, Currencies currencies)
      throws RequestRejected {
    io.keybrake.core.request.FieldAliases.refuse(form, rule.fieldsRead());
    Body body = path -> Fields.all(form, path).stream().map(v -> new JsonValue(v, true)).toList();
    return estimate(rule, body, canonical, currencies);
  }

  /**
   * A JSON object on a {@code FORM_OR_JSON} endpoint, read as the form it stands for: each field
   * the rule reads must be a string or a whole number (read as its text, as the form's value would
   * be); a JSON null, boolean, fraction, array or object there is refused. The other fields are not
   * read, but their names are: one spelled like a read field another way (case, brackets, invisible
   * characters) is refused as on a form.
   */
  static CallEstimate flatJson(
      GenericCost rule, JsonNode object, String canonical, Currencies currencies)
      throws RequestRejected {
    java.util.Set<String> read = java.util.Set.copyOf(rule.fieldsRead());
    List<java.util.Map.Entry<String, String>> fields = new ArrayList<>();
    for (var p : object.properties()) {
      String name = p.getKey();
      JsonNode v = p.getValue();
      if (!read.contains(name)) {
        fields.add(java.util.Map.entry(name, "")); // its value is not read
      } else if (v.isTextual()) {
        fields.add(java.util.Map.entry(name, v.textValue()));
      } else if (v.isIntegralNumber()) {
        fields.add(java.util.Map.entry(name, v.bigIntegerValue().toString()));
      } else {
        throw Fields.unreadable(
            "field '"
                + name
                + "' must be a string or a whole number, not "
                + (v.isNumber() ? "a fraction" : "a JSON " + kind(v))
                + " (this endpoint reads the same flat fields from a form or from JSON)");
      }
    }
    return form(rule, FormBody.of(fields), canonical, currencies);
  }

  private static String kind(JsonNode v) {
    return v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  static CallEstimate json(GenericCost rule, JsonNode json, String canonical, Currencies currencies)
      throws RequestRejected {
    Body body =
        path -> {
          List<JsonNode> nodes = List.of(json);
          for (String segment : path.split("\\.")) {
            boolean each = segment.endsWith("[]");
            String name = each ? segment.substring(0, segment.length() - 2) : segment;
            List<JsonNode> next = new ArrayList<>();
            for (JsonNode n : nodes) {
              JsonNode v = n.isObject() ? n.get(name) : null;
              if (v == null || v.isNull()) {
                continue;
              }
              if (each) {
                if (!v.isArray()) {
                  throw Fields.unreadable("field '" + name + "' must be an array");
                }
                v.forEach(next::add);
              } else {
                next.add(v);
              }
            }
            nodes = next;
          }
          List<JsonValue> out = new ArrayList<>();
          for (JsonNode n : nodes) {
            if (n.isArray()) {
              n.forEach(e -> out.add(new JsonValue(e.asText(), e.isTextual())));
            } else {
              out.add(new JsonValue(n.isValueNode() ? n.asText() : n.toString(), n.isTextual()));
            }
          }
          return out;
        };
    return estimate(rule, body, canonical, currencies);
  }

  private static CallEstimate estimate(
      GenericCost rule, Body body, String canonical, Currencies currencies) throws RequestRejected {
    List<Destination> destinations = destinations(rule, body);
    long price = rule.priceMicros();
    return switch (rule.kind()) {
      case PER_CALL ->
          estimate(price, destinations, canonical, "1 call x $" + Micros.format(price));
      case PER_ENTRY -> {
        long entries = 0;
        for (String path : rule.entries()) {
          entries += body.values(path).size();
        }
        if (entries == 0) {
          throw Fields.unreadable(
              "the call has no entries in " + String.join(", ", rule.entries()) + " to price");
        }
        yield estimate(
            Math.multiplyExact(price, entries),
            destinations,
            canonical,
            entries + (entries == 1 ? " entry" : " entries") + " x $" + Micros.format(price));
      }
      case AMOUNT -> {
        String amountField = rule.amountField().orElseThrow();
        long amount = Fields.whole(single(body, amountField, true).orElseThrow(), amountField);
        Optional<String> currency =
            rule.currencyField().isPresent()
                ? single(body, rule.currencyField().get(), false)
                : Optional.empty();
        String iso =
            currency
                .or(rule::defaultCurrency)
                .orElseThrow(
                    () ->
                        Fields.unreadable(
                            "field '" + rule.currencyField().orElseThrow() + "' is required"));
        long micros = currencies.toUsdMicros(amount, iso);
        yield estimate(micros, destinations, canonical, amount + " " + iso + " (minor units)");
      }
      case SMS_SEGMENTS -> {
        String text = single(body, rule.textField().orElseThrow(), true).orElseThrow();
        int segments = SmsSegments.count(text).segments();
        String region = ((Destination.Phone) destinations.get(0)).number().regionCode();
        long perSegment = rule.countryPrices().getOrDefault(region, price);
        yield estimate(
            Math.multiplyExact(perSegment, (long) segments * destinations.size()),
            destinations,
            canonical,
            segments
                + (segments == 1 ? " segment" : " segments")
                + " x "
                + region
                + " $"
                + Micros.format(perSegment));
      }
      case PER_MINUTE -> {
        long seconds = rule.maxSeconds();
        if (rule.durationField().isPresent()) {
          Optional<String> v = single(body, rule.durationField().get(), false);
          if (v.isPresent()) {
            seconds = Fields.whole(v.get(), rule.durationField().get());
          }
        }
        if (seconds > rule.maxSeconds()) {
          throw new RequestRejected(
              RefusalCode.UNREADABLE_REQUEST,
              "field '"
                  + rule.durationField().orElse("duration")
                  + "' is over the ceiling of "
                  + rule.maxSeconds()
                  + " seconds");
        }
        long minutes = Math.max(1, (seconds + 59) / 60);
        yield estimate(
            Math.multiplyExact(price, minutes),
            destinations,
            canonical,
            minutes + " min x $" + Micros.format(price));
      }
    };
  }

  private static CallEstimate estimate(
      long micros, List<Destination> destinations, String canonical, String detail) {
    return new CallEstimate(micros, destinations, canonical, Optional.empty(), detail);
  }

  private static Optional<String> single(Body body, String path, boolean required)
      throws RequestRejected {
    List<JsonValue> values = body.values(path);
    if (values.size() > 1) {
      throw Fields.unreadable("field '" + path + "' must appear once");
    }
    if (values.isEmpty() || values.get(0).text().isEmpty()) {
      if (required) {
        throw Fields.unreadable("field '" + path + "' is required");
      }
      return Optional.empty();
    }
    return Optional.of(values.get(0).text());
  }

  private static List<Destination> destinations(GenericCost rule, Body body)
      throws RequestRejected {
    List<Destination> out = new ArrayList<>();
    for (String path : rule.destination()) {
      for (JsonValue v : body.values(path)) {
        if (!v.textual()) {
          throw Fields.unreadable("field '" + path + "' must hold strings");
        }
        out.add(destination(rule, v.text()));
      }
    }
    if (rule.destinationKind() != GenericCost.DestinationKind.NONE && out.isEmpty()) {
      throw Fields.unreadable(
          "field '" + String.join("', '", rule.destination()) + "' is required (the destination)");
    }
    if (rule.kind() == GenericCost.Kind.SMS_SEGMENTS && out.size() != 1) {
      throw Fields.unreadable("field '" + rule.destination().get(0) + "' must appear once");
    }
    return out;
  }

  private static Destination destination(GenericCost rule, String raw) throws RequestRejected {
    if (rule.destinationKind() == GenericCost.DestinationKind.EMAIL) {
      return Destination.Email.parse(raw);
    }
    String number = raw;
    if (rule.plusOptional() && !raw.isEmpty() && Character.isDigit(raw.charAt(0))) {
      number = "+" + raw;
    }
    return new Destination.Phone(PhoneNumbers.parse(number));
  }
}
