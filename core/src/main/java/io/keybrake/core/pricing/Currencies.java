package io.keybrake.core.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.money.Micros;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Currency exponents and USD rates from {@code pricing/currencies.yaml}. Only currencies with a
 * rate are known; any other code is refused rather than priced with a guess. Conversions are exact
 * and round up to the micro-dollar. Immutable and thread-safe.
 */
public final class Currencies {
  static final String RESOURCE = "pricing/currencies.yaml";

  private final Map<String, BigDecimal> usdPerUnit;
  private final Map<String, Integer> exponents;
  private final String source;
  private final LocalDate asOf;

  private Currencies(
      Map<String, BigDecimal> usdPerUnit,
      Map<String, Integer> exponents,
      String source,
      LocalDate asOf) {
    this.usdPerUnit = Map.copyOf(usdPerUnit);
    this.exponents = Map.copyOf(exponents);
    this.source = source;
    this.asOf = asOf;
  }

  /** The shipped table, {@code pricing/currencies.yaml}, read once per class loader. */
  public static Currencies loadDefault() {
    return Shipped.TABLE;
  }

  private static final class Shipped {
    static final Currencies TABLE = parse(PricingYaml.resource(RESOURCE));
  }

  /**
   * Parses a currency file (format of {@code pricing/currencies.yaml}).
   *
   * @throws IllegalArgumentException when the file is incomplete
   */
  public static Currencies parse(InputStream yaml) {
    JsonNode root = PricingYaml.read(yaml);
    Set<String> zero = codes(root, "zero_decimal");
    Set<String> three = codes(root, "three_decimal");
    JsonNode rates = root.get("usd_per_unit");
    if (rates == null || !rates.isObject()) {
      throw new IllegalArgumentException("currency file: 'usd_per_unit' must be a mapping");
    }
    Map<String, BigDecimal> usdPerUnit = new HashMap<>();
    Map<String, Integer> exponents = new HashMap<>();
    for (Map.Entry<String, JsonNode> e : rates.properties()) {
      String raw = e.getKey();
      String code = raw.toUpperCase(Locale.ROOT);
      BigDecimal rate = PricingYaml.decimal(rates, raw);
      if (rate.signum() <= 0) {
        throw new IllegalArgumentException("currency file: rate of " + code + " must be > 0");
      }
      usdPerUnit.put(code, rate);
      exponents.put(code, zero.contains(code) ? 0 : three.contains(code) ? 3 : 2);
    }
    if (!BigDecimal.ONE.equals(
        usdPerUnit.getOrDefault("USD", BigDecimal.ZERO).stripTrailingZeros())) {
      throw new IllegalArgumentException("currency file: USD must have rate 1");
    }
    String source =
        PricingYaml.text(root, "exponents_source") + " | " + PricingYaml.text(root, "rates_source");
    return new Currencies(usdPerUnit, exponents, source, PricingYaml.date(root, "as_of"));
  }

  private static Set<String> codes(JsonNode root, String field) {
    JsonNode list = root.get(field);
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException("currency file: '" + field + "' must be a list");
    }
    Set<String> codes = new HashSet<>();
    list.forEach(n -> codes.add(n.asText().toUpperCase(Locale.ROOT)));
    return codes;
  }

  /** Where the exponents and rates come from. */
  public String source() {
    return source;
  }

  /** The date of the rates. */
  public LocalDate asOf() {
    return asOf;
  }

  /**
   * Digits after the decimal point in API amounts: 0 for JPY, 3 for KWD, 2 for USD.
   *
   * @throws RequestRejected ({@code unreadable_request}) for a currency without a rate
   */
  public int exponent(String iso) throws RequestRejected {
    Integer exponent = exponents.get(normalize(iso));
    if (exponent == null) {
      throw unknown(iso);
    }
    return exponent;
  }

  /**
   * USD micro-dollars of {@code minorUnits} of {@code iso} (e.g. 1000 JPY, 1500 cents), rounded up.
   *
   * @throws RequestRejected ({@code unreadable_request}) for an unknown currency or a negative
   *     amount
   */
  public long toUsdMicros(long minorUnits, String iso) throws RequestRejected {
    if (minorUnits < 0) {
      throw new RequestRejected(RefusalCode.UNREADABLE_REQUEST, "amount must not be negative");
    }
    return majorToUsdMicros(BigDecimal.valueOf(minorUnits, exponent(iso)), iso);
  }

  /**
   * USD micro-dollars of an amount in major units (e.g. {@code 0.0079} of a Twilio {@code
   * price_unit}), rounded up.
   *
   * @throws RequestRejected ({@code unreadable_request}) for an unknown currency or a negative
   *     amount
   */
  public long majorToUsdMicros(BigDecimal amount, String iso) throws RequestRejected {
    if (amount.signum() < 0) {
      throw new RequestRejected(RefusalCode.UNREADABLE_REQUEST, "amount must not be negative");
    }
    BigDecimal rate = usdPerUnit.get(normalize(iso));
    if (rate == null) {
      throw unknown(iso);
    }
    try {
      return Micros.fromUsd(amount.multiply(rate));
    } catch (ArithmeticException e) {
      throw new RequestRejected(RefusalCode.UNREADABLE_REQUEST, "amount is too large to price");
    }
  }

  private static String normalize(String iso) {
    return iso == null ? "" : iso.trim().toUpperCase(Locale.ROOT);
  }

  private static RequestRejected unknown(String iso) {
    String shown = iso == null ? "" : iso.length() > 8 ? iso.substring(0, 8) + "…" : iso;
    return new RequestRejected(
        RefusalCode.UNREADABLE_REQUEST,
        "currency '" + shown + "' is not known to Keybrake's price table; it cannot be priced");
  }
}
