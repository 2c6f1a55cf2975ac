package io.keybrake.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.money.Micros;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses the JSON {@code policy} object of the admin API into a validated {@link Policy}, and
 * writes a policy back in the same shape. Invalid input is a value ({@link Parsed.Invalid}), never
 * an exception. Unknown fields are refused so a typo is not silently ignored. Stateless and
 * thread-safe.
 *
 * <p>For exact money, read JSON with {@code DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS};
 * floating-point nodes are still read through their shortest decimal text.
 */
public final class PolicyParser {

  /** The largest cap accepted, in USD. */
  public static final BigDecimal MAX_CAP_USD = new BigDecimal("1000000000");

  public static final long MAX_DEDUP_WINDOW_SECONDS = 86_400;
  public static final long MAX_CALL_SECONDS = 14_400;
  public static final Duration MAX_EXPIRES_IN = Duration.ofDays(366);

  static final Set<String> FIELDS =
      Set.of(
          "daily_usd_cap",
          "total_usd_cap",
          "allowed_prefixes",
          "allowed_countries",
          "allowed_endpoints",
          "dedup_window_seconds",
          "expires_in",
          "max_call_seconds",
          "allow_premium",
          "time_zone",
          "allowed_twiml_urls",
          "allowed_accounts",
          "max_call_usd");

  /** An email recipient domain for Resend keys, e.g. {@code @example.com}. */
  private static final java.util.regex.Pattern EMAIL_DOMAIN =
      java.util.regex.Pattern.compile(
          "@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+");

  private static final Pattern PREFIX = Pattern.compile("\\+[0-9]{1,15}");
  private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());
  private static final int MAX_LIST = 1000;
  private static final int MAX_ENDPOINT_CHARS = 256;

  private PolicyParser() {}

  /** The result of {@link #parse}. */
  public sealed interface Parsed {
    /** A valid policy. */
    record Ok(Policy policy) implements Parsed {}

    /**
     * The first problem found.
     *
     * @param field the policy field at fault, e.g. {@code daily_usd_cap} (or {@code policy} for the
     *     object itself)
     * @param reason what is wrong, without the field name and without echoing the value
     */
    record Invalid(String field, String reason) implements Parsed {
      /** {@code field + " " + reason}, e.g. {@code "daily_usd_cap must be greater than 0"}. */
      public String message() {
        return field + " " + reason;
      }
    }
  }

  /** Parses and validates {@code node}, which must be a JSON object. */
  public static Parsed parse(JsonNode node) {
    try {
      return new Parsed.Ok(parseOrThrow(node));
    } catch (Problem p) {
      return new Parsed.Invalid(p.field, p.reason);
    }
  }

  /**
   * Parses {@code node} for a key of {@code vendor}: as {@link #parse(JsonNode)}, and refuses a
   * field that does not apply to the vendor, an {@code allowed_prefixes} entry of the wrong kind
   * and an {@code allowed_endpoints} entry that is not valid syntax or reaches no endpoint of the
   * vendor. Endpoint entries come back in canonical form (see {@link EndpointEntry}).
   */
  public static Parsed parse(JsonNode node, io.keybrake.core.vendor.VendorSpec vendor) {
    Parsed generic = parse(node);
    if (generic instanceof Parsed.Invalid) {
      return generic;
    }
    return PolicyForVendor.check(node, ((Parsed.Ok) generic).policy(), vendor);
  }

  /** The policy as the admin API shows it; {@link #parse} of the result gives back {@code p}. */
  public static ObjectNode toJson(Policy p) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.set("daily_usd_cap", usd(p.dailyCapMicros()));
    if (p.totalCapMicros().isPresent()) {
      o.set("total_usd_cap", usd(p.totalCapMicros().getAsLong()));
    } else {
      o.putNull("total_usd_cap");
    }
    o.set("allowed_prefixes", strings(p.allowedPrefixes()));
    o.set("allowed_countries", strings(p.allowedCountries()));
    o.set("allowed_endpoints", strings(p.allowedEndpoints()));
    o.put("dedup_window_seconds", p.dedupWindow().getSeconds());
    if (p.expiresIn().isPresent()) {
      o.put("expires_in", GoDuration.format(p.expiresIn().get()));
    } else {
      o.putNull("expires_in");
    }
    o.put("max_call_seconds", p.maxCallSeconds());
    o.put("allow_premium", p.allowPremium());
    o.put("time_zone", zoneText(p.timeZone()));
    o.set("allowed_twiml_urls", strings(p.allowedTwimlUrls()));
    o.set("allowed_accounts", strings(p.allowedAccounts()));
    if (p.maxCallMicros().isPresent()) {
      o.set("max_call_usd", usd(p.maxCallMicros().getAsLong()));
    }
    GuardFields.write(o, p.guards());
    return o;
  }

  /**
   * The policy as the admin API shows it for a key of {@code vendor}: as {@link #toJson(Policy)},
   * without the fields that do not apply to that vendor (they are refused at creation and have no
   * effect).
   */
  public static ObjectNode toJson(Policy p, String vendor) {
    ObjectNode o = toJson(p);
    PolicyForVendor.VENDOR_FIELDS.forEach(
        (field, vendors) -> {
          if (!vendors.contains(vendor)) {
            o.remove(field);
          }
        });
    io.keybrake.core.vendor.VendorRegistry.configured()
        .find(vendor)
        .ifPresent(
            spec ->
                PolicyForVendor.DESTINATION_FIELDS.forEach(
                    (field, kinds) -> {
                      if (kinds.stream().noneMatch(spec.destinationKinds()::contains)) {
                        o.remove(field);
                      }
                    }));
    return o;
  }

  /**
   * The guard fields ({@link PolicyGuards}) of a stored policy column, in the admin API's form;
   * {@link PolicyGuards#NONE} for a missing node.
   */
  public static PolicyGuards guards(JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return PolicyGuards.NONE;
    }
    try {
      return GuardFields.parse(node);
    } catch (ScopeFields.Invalid e) {
      throw new IllegalStateException("stored policy guards are invalid: " + e.getMessage());
    }
  }

  /** The guard fields of {@code g} as a JSON object (empty for {@link PolicyGuards#NONE}). */
  public static ObjectNode guardsJson(PolicyGuards g) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    GuardFields.write(o, g);
    return o;
  }

  /** A micro-dollar amount as an exact JSON number, e.g. {@code 50.00} or {@code 0.0079}. */
  public static JsonNode usd(long micros) {
    return DecimalNode.valueOf(Micros.toUsd(micros));
  }

  private static Policy parseOrThrow(JsonNode node) throws Problem {
    if (node == null || !node.isObject()) {
      throw new Problem("policy", "must be a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!FIELDS.contains(name) && !GuardFields.FIELDS.contains(name)) {
        throw new Problem(printable(name), "is not a known policy field");
      }
    }
    long daily =
        cap(node, "daily_usd_cap").orElseThrow(() -> new Problem("daily_usd_cap", "is required"));
    OptionalLong total =
        cap(node, "total_usd_cap").map(OptionalLong::of).orElse(OptionalLong.empty());
    List<String> prefixes = prefixes(node);
    List<String> countries = countries(node);
    List<String> endpoints = endpoints(node);
    long dedup =
        integer(node, "dedup_window_seconds", 0, MAX_DEDUP_WINDOW_SECONDS)
            .orElse(Policy.DEFAULT_DEDUP_WINDOW.getSeconds());
    Optional<Duration> expiresIn = expiresIn(node);
    long maxCall =
        integer(node, "max_call_seconds", 1, MAX_CALL_SECONDS)
            .orElse(Policy.DEFAULT_MAX_CALL_SECONDS);
    boolean premium = bool(node, "allow_premium").orElse(false);
    ZoneId zone = zone(node);
    List<String> twimlUrls;
    List<String> accounts;
    PolicyGuards guards;
    try {
      guards = GuardFields.parse(node);
      twimlUrls = ScopeFields.twimlUrls(stringList(node, ScopeFields.TWIML_URLS));
      accounts = ScopeFields.accounts(stringList(node, ScopeFields.ACCOUNTS));
    } catch (ScopeFields.Invalid e) {
      throw new Problem(e);
    }
    OptionalLong maxCallUsd =
        cap(node, "max_call_usd").map(OptionalLong::of).orElse(OptionalLong.empty());
    return new Policy(
        daily,
        total,
        prefixes,
        countries,
        endpoints,
        Duration.ofSeconds(dedup),
        expiresIn,
        maxCall,
        premium,
        zone,
        twimlUrls,
        accounts,
        maxCallUsd,
        guards);
  }

  private static Optional<Long> cap(JsonNode node, String field) throws Problem {
    JsonNode v = present(node, field);
    if (v == null) {
      return Optional.empty();
    }
    if (!v.isNumber()) {
      throw new Problem(field, "must be a JSON number of US dollars");
    }
    BigDecimal usd = exact(v, field);
    if (usd.signum() <= 0) {
      throw new Problem(field, "must be greater than 0");
    }
    if (usd.compareTo(MAX_CAP_USD) > 0) {
      throw new Problem(field, "must be at most " + MAX_CAP_USD.toPlainString());
    }
    if (usd.stripTrailingZeros().scale() > 6) {
      throw new Problem(field, "must have at most 6 decimal places");
    }
    return Optional.of(Micros.fromUsd(usd));
  }

  private static BigDecimal exact(JsonNode v, String field) throws Problem {
    if (v.isBigDecimal() || v.isIntegralNumber()) {
      return v.decimalValue();
    }
    double d = v.doubleValue();
    if (!Double.isFinite(d)) {
      throw new Problem(field, "must be a finite number");
    }
    // double or float: its shortest decimal text is what the client wrote
    return new BigDecimal(Double.toString(d));
  }

  private static Optional<Long> integer(JsonNode node, String field, long min, long max)
      throws Problem {
    JsonNode v = present(node, field);
    if (v == null) {
      return Optional.empty();
    }
    String range = "must be a whole number from " + min + " to " + max;
    if (!v.isNumber()) {
      throw new Problem(field, range);
    }
    BigDecimal d = exact(v, field);
    if (d.stripTrailingZeros().scale() > 0
        || d.compareTo(BigDecimal.valueOf(min)) < 0
        || d.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw new Problem(field, range);
    }
    return Optional.of(d.longValueExact());
  }

  private static Optional<Boolean> bool(JsonNode node, String field) throws Problem {
    JsonNode v = present(node, field);
    if (v == null) {
      return Optional.empty();
    }
    if (!v.isBoolean()) {
      throw new Problem(field, "must be true or false");
    }
    return Optional.of(v.booleanValue());
  }

  private static List<String> prefixes(JsonNode node) throws Problem {
    String field = "allowed_prefixes";
    List<String> out = new ArrayList<>();
    for (String s : stringList(node, field)) {
      if (PREFIX.matcher(s).matches()) {
        out.add(s);
      } else if (EMAIL_DOMAIN.matcher(s).matches()) {
        out.add(s.toLowerCase(Locale.ROOT));
      } else {
        throw new Problem(
            field,
            "must hold E.164 prefixes (\"+\" and 1 to 15 digits, e.g. \"+1\") or email domains"
                + " (e.g. \"@example.com\")");
      }
    }
    return dedupe(out);
  }

  private static List<String> countries(JsonNode node) throws Problem {
    String field = "allowed_countries";
    List<String> out = new ArrayList<>();
    for (String s : stringList(node, field)) {
      String code = s.toUpperCase(Locale.ROOT);
      if (code.length() != 2 || !COUNTRIES.contains(code)) {
        throw new Problem(
            field, "must hold ISO 3166-1 alpha-2 country codes, e.g. \"US\"; one is unknown");
      }
      out.add(code);
    }
    return dedupe(out);
  }

  private static List<String> endpoints(JsonNode node) throws Problem {
    String field = "allowed_endpoints";
    List<String> out = new ArrayList<>();
    for (String s : stringList(node, field)) {
      String t = s.strip();
      if (t.isEmpty() || t.length() > MAX_ENDPOINT_CHARS) {
        throw new Problem(
            field, "must hold non-empty strings of at most " + MAX_ENDPOINT_CHARS + " characters");
      }
      out.add(t);
    }
    return dedupe(out);
  }

  private static List<String> stringList(JsonNode node, String field) throws Problem {
    JsonNode v = present(node, field);
    if (v == null) {
      return List.of();
    }
    if (!v.isArray()) {
      throw new Problem(field, "must be an array of strings");
    }
    if (v.size() > MAX_LIST) {
      throw new Problem(field, "must have at most " + MAX_LIST + " entries");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw new Problem(field, "must be an array of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static Optional<Duration> expiresIn(JsonNode node) throws Problem {
    String field = "expires_in";
    JsonNode v = present(node, field);
    if (v == null) {
      return Optional.empty();
    }
    String shape = "must be a duration such as \"24h\", \"30m\", \"90s\" or \"1h30m\"";
    if (!v.isTextual()) {
      throw new Problem(field, shape);
    }
    Duration d = GoDuration.parse(v.textValue()).orElseThrow(() -> new Problem(field, shape));
    if (d.isZero()) {
      throw new Problem(field, "must be greater than 0");
    }
    if (d.compareTo(MAX_EXPIRES_IN) > 0) {
      throw new Problem(field, "must be at most 366 days (8784h)");
    }
    return Optional.of(d);
  }

  private static ZoneId zone(JsonNode node) throws Problem {
    String field = "time_zone";
    JsonNode v = present(node, field);
    if (v == null) {
      return ZoneOffset.UTC;
    }
    String shape = "must be an IANA time zone such as \"UTC\" or \"America/New_York\"";
    if (!v.isTextual()) {
      throw new Problem(field, shape);
    }
    String id = v.textValue();
    if (id.equals("UTC") || id.equals("Z")) {
      return ZoneOffset.UTC;
    }
    if (!ZoneId.getAvailableZoneIds().contains(id)) {
      throw new Problem(field, shape);
    }
    try {
      return ZoneId.of(id);
    } catch (DateTimeException e) {
      throw new Problem(field, shape);
    }
  }

  private static String zoneText(ZoneId zone) {
    return zone.equals(ZoneOffset.UTC) ? "UTC" : zone.getId();
  }

  /** The field's value, or null when absent or JSON null. */
  private static JsonNode present(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v;
  }

  private static List<String> dedupe(List<String> in) {
    return List.copyOf(new LinkedHashSet<>(in));
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    values.forEach(a::add);
    return a;
  }

  /** A field name safe to put in a message: printable ASCII, at most 64 characters. */
  private static String printable(String name) {
    if (!name.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      return "(unprintable field)";
    }
    return name.length() > 64 ? name.substring(0, 64) + "..." : name;
  }

  /** Control flow inside the parser only; never escapes {@link #parse}. */
  private static final class Problem extends Exception {
    private static final long serialVersionUID = 1L;
    final String field;
    final String reason;

    Problem(ScopeFields.Invalid invalid) {
      this(invalid.field, invalid.reason);
    }

    Problem(String field, String reason) {
      super(field + " " + reason, null, false, false);
      this.field = field;
      this.reason = reason;
    }
  }
}
