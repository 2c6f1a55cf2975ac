package io.keybrake.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.money.Micros;
import java.math.BigDecimal;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and writes the policy fields of {@link PolicyGuards}: {@code max_calls_per_destination},
 * {@code max_identical_calls_per_hour}, {@code max_usd_per_minute}, {@code loop_action}, {@code
 * allowed_hours} and {@code mode}. The admin API and the stores use the same form. Stateless and
 * thread-safe.
 */
final class GuardFields {
  static final String PER_DESTINATION = "max_calls_per_destination";
  static final String IDENTICAL = "max_identical_calls_per_hour";
  static final String USD_PER_MINUTE = "max_usd_per_minute";
  static final String LOOP_ACTION = "loop_action";
  static final String ALLOWED_HOURS = "allowed_hours";
  static final String MODE = "mode";

  static final Set<String> FIELDS =
      Set.of(PER_DESTINATION, IDENTICAL, USD_PER_MINUTE, LOOP_ACTION, ALLOWED_HOURS, MODE);

  /** The most calls a counting guard may allow per hour. */
  static final int MAX_CALLS = 1_000_000;

  /** Where {@code allowed_hours} reads each recipient's own clock. */
  static final String RECIPIENT = "recipient";

  private static final Pattern HOUR = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
  private static final Set<String> WINDOW_FIELDS = Set.of("from", "to", "time_zone");

  private GuardFields() {}

  static PolicyGuards parse(JsonNode node) throws ScopeFields.Invalid {
    OptionalInt perDestination = count(node, PER_DESTINATION);
    OptionalInt identical = count(node, IDENTICAL);
    OptionalLong usdPerMinute = usd(node, USD_PER_MINUTE);
    PolicyGuards.LoopAction action = PolicyGuards.LoopAction.ALERT;
    JsonNode a = present(node, LOOP_ACTION);
    if (a != null) {
      action =
          switch (a.isTextual() ? a.textValue() : "") {
            case "alert" -> PolicyGuards.LoopAction.ALERT;
            case "suspend" -> PolicyGuards.LoopAction.SUSPEND;
            default ->
                throw new ScopeFields.Invalid(LOOP_ACTION, "must be \"alert\" or \"suspend\"");
          };
    }
    PolicyGuards.Mode mode = PolicyGuards.Mode.ENFORCE;
    JsonNode m = present(node, MODE);
    if (m != null) {
      mode =
          switch (m.isTextual() ? m.textValue() : "") {
            case "enforce" -> PolicyGuards.Mode.ENFORCE;
            case "shadow" -> PolicyGuards.Mode.SHADOW;
            default -> throw new ScopeFields.Invalid(MODE, "must be \"enforce\" or \"shadow\"");
          };
    }
    return new PolicyGuards(perDestination, identical, usdPerMinute, action, window(node), mode);
  }

  /** Adds the fields that differ from {@link PolicyGuards#NONE} to {@code o}. */
  static void write(ObjectNode o, PolicyGuards g) {
    g.maxCallsPerDestination().ifPresent(n -> o.put(PER_DESTINATION, n));
    g.maxIdenticalCalls().ifPresent(n -> o.put(IDENTICAL, n));
    g.maxUsdPerMinuteMicros()
        .ifPresent(n -> o.set(USD_PER_MINUTE, DecimalNode.valueOf(Micros.toUsd(n))));
    if (g.loopAction() != PolicyGuards.LoopAction.ALERT || g.counts()) {
      o.put(LOOP_ACTION, g.loopAction().wireName());
    }
    g.allowedHours()
        .ifPresent(
            w -> {
              ObjectNode h = o.putObject(ALLOWED_HOURS);
              h.put("from", w.from().toString());
              h.put("to", w.to().toString());
              h.put(
                  "time_zone",
                  w.zone()
                      .map(z -> z.equals(ZoneOffset.UTC) ? "UTC" : z.getId())
                      .orElse(RECIPIENT));
            });
    if (g.mode() != PolicyGuards.Mode.ENFORCE) {
      o.put(MODE, g.mode().wireName());
    }
  }

  private static Optional<PolicyGuards.SendWindow> window(JsonNode node)
      throws ScopeFields.Invalid {
    JsonNode w = present(node, ALLOWED_HOURS);
    if (w == null) {
      return Optional.empty();
    }
    String shape =
        "must be an object such as {\"from\": \"08:00\", \"to\": \"21:00\", \"time_zone\":"
            + " \"recipient\"}";
    if (!w.isObject()) {
      throw new ScopeFields.Invalid(ALLOWED_HOURS, shape);
    }
    for (Iterator<String> it = w.fieldNames(); it.hasNext(); ) {
      if (!WINDOW_FIELDS.contains(it.next())) {
        throw new ScopeFields.Invalid(ALLOWED_HOURS, "takes only from, to and time_zone");
      }
    }
    LocalTime from = hour(w, "from");
    LocalTime to = hour(w, "to");
    if (from.equals(to)) {
      throw new ScopeFields.Invalid(ALLOWED_HOURS, "from and to must differ");
    }
    Optional<ZoneId> zone = Optional.empty();
    JsonNode z = present(w, "time_zone");
    if (z != null && !(z.isTextual() && z.textValue().equals(RECIPIENT))) {
      String zoneShape =
          "time_zone must be \"recipient\" or an IANA time zone such as \"America/New_York\"";
      if (!z.isTextual()) {
        throw new ScopeFields.Invalid(ALLOWED_HOURS, zoneShape);
      }
      String id = z.textValue();
      if (id.equals("UTC")) {
        zone = Optional.of(ZoneOffset.UTC);
      } else if (ZoneId.getAvailableZoneIds().contains(id)) {
        zone = Optional.of(ZoneId.of(id));
      } else {
        throw new ScopeFields.Invalid(ALLOWED_HOURS, zoneShape);
      }
    }
    return Optional.of(new PolicyGuards.SendWindow(from, to, zone));
  }

  private static LocalTime hour(JsonNode w, String field) throws ScopeFields.Invalid {
    JsonNode v = present(w, field);
    String shape = field + " must be a time of day \"HH:MM\" (00:00 to 23:59)";
    if (v == null || !v.isTextual() || !HOUR.matcher(v.textValue()).matches()) {
      throw new ScopeFields.Invalid(ALLOWED_HOURS, shape);
    }
    try {
      return LocalTime.parse(v.textValue());
    } catch (DateTimeParseException e) {
      throw new ScopeFields.Invalid(ALLOWED_HOURS, shape);
    }
  }

  private static OptionalInt count(JsonNode node, String field) throws ScopeFields.Invalid {
    JsonNode v = present(node, field);
    if (v == null) {
      return OptionalInt.empty();
    }
    if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > MAX_CALLS) {
      throw new ScopeFields.Invalid(field, "must be a whole number from 1 to " + MAX_CALLS);
    }
    return OptionalInt.of(v.intValue());
  }

  private static OptionalLong usd(JsonNode node, String field) throws ScopeFields.Invalid {
    JsonNode v = present(node, field);
    if (v == null) {
      return OptionalLong.empty();
    }
    if (!v.isNumber()) {
      throw new ScopeFields.Invalid(field, "must be a JSON number of US dollars");
    }
    BigDecimal usd =
        v.isBigDecimal() || v.isIntegralNumber()
            ? v.decimalValue()
            : new BigDecimal(Double.toString(v.doubleValue()));
    if (usd.signum() <= 0 || usd.compareTo(PolicyParser.MAX_CAP_USD) > 0) {
      throw new ScopeFields.Invalid(
          field, "must be greater than 0 and at most " + PolicyParser.MAX_CAP_USD.toPlainString());
    }
    if (usd.stripTrailingZeros().scale() > 6) {
      throw new ScopeFields.Invalid(field, "must have at most 6 decimal places");
    }
    return OptionalLong.of(Micros.fromUsd(usd));
  }

  private static JsonNode present(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v;
  }
}
