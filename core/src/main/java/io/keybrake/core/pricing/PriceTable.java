package io.keybrake.core.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.money.Micros;
import java.io.InputStream;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Vendor list prices in micro-dollars, loaded once from data files that name their source and date.
 * A region that is not listed (or {@code "ZZ"}) gets the table's conservative default, which the
 * loader checks is at least every listed price. Immutable and thread-safe.
 */
public final class PriceTable {
  static final String TWILIO_RESOURCE = "pricing/twilio-prices.yaml";
  static final String RESEND_RESOURCE = "pricing/resend-prices.yaml";

  /** One country's Twilio prices, micro-dollars. */
  private record Rates(long sms, long mms, long whatsapp, long voicePerMinute) {
    static Rates parse(JsonNode node, String where) {
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("pricing file: '" + where + "' must be a mapping");
      }
      return new Rates(
          Micros.fromUsd(PricingYaml.decimal(node, "sms")),
          Micros.fromUsd(PricingYaml.decimal(node, "mms")),
          Micros.fromUsd(PricingYaml.decimal(node, "whatsapp")),
          Micros.fromUsd(PricingYaml.decimal(node, "voice_per_minute")));
    }

    boolean coversAll(Rates other) {
      return sms >= other.sms
          && mms >= other.mms
          && whatsapp >= other.whatsapp
          && voicePerMinute >= other.voicePerMinute;
    }
  }

  private final String source;
  private final LocalDate asOf;
  private final Rates defaults;
  private final Map<String, Rates> countries;
  private final long resendEmailMicros;
  private final String resendSource;

  private PriceTable(
      String source,
      LocalDate asOf,
      Rates defaults,
      Map<String, Rates> countries,
      long resendEmailMicros,
      String resendSource) {
    this.source = source;
    this.asOf = asOf;
    this.defaults = defaults;
    this.countries = Map.copyOf(countries);
    this.resendEmailMicros = resendEmailMicros;
    this.resendSource = resendSource;
  }

  /**
   * The shipped tables: {@code pricing/twilio-prices.yaml} and {@code pricing/resend-prices.yaml}.
   */
  public static PriceTable loadDefault() {
    return parse(PricingYaml.resource(TWILIO_RESOURCE), PricingYaml.resource(RESEND_RESOURCE));
  }

  /**
   * Parses a Twilio price file (format of {@code pricing/twilio-prices.yaml}); the Resend price is
   * the shipped one.
   *
   * @throws IllegalArgumentException when the file is incomplete or its default is not conservative
   */
  public static PriceTable parse(InputStream yaml) {
    return parse(yaml, PricingYaml.resource(RESEND_RESOURCE));
  }

  /** Parses a Twilio price file and a Resend price file. */
  public static PriceTable parse(InputStream twilioYaml, InputStream resendYaml) {
    Objects.requireNonNull(twilioYaml);
    Objects.requireNonNull(resendYaml);
    JsonNode root = PricingYaml.read(twilioYaml);
    requireUsd(root);
    Rates defaults = Rates.parse(root.get("default"), "default");
    JsonNode list = root.get("countries");
    if (list == null || !list.isObject()) {
      throw new IllegalArgumentException("pricing file: 'countries' must be a mapping");
    }
    Map<String, Rates> countries = new HashMap<>();
    for (Map.Entry<String, JsonNode> e : list.properties()) {
      String region = e.getKey().toUpperCase(Locale.ROOT);
      Rates rates = Rates.parse(e.getValue(), "countries." + region);
      if (!defaults.coversAll(rates)) {
        throw new IllegalArgumentException(
            "pricing file: the default must be >= every country's price, but "
                + region
                + " is dearer");
      }
      countries.put(region, rates);
    }
    JsonNode resend = PricingYaml.read(resendYaml);
    requireUsd(resend);
    return new PriceTable(
        PricingYaml.text(root, "source"),
        PricingYaml.date(root, "as_of"),
        defaults,
        countries,
        Micros.fromUsd(PricingYaml.decimal(resend, "email")),
        PricingYaml.text(resend, "source"));
  }

  private static void requireUsd(JsonNode root) {
    if (!PricingYaml.text(root, "currency").equals("USD")) {
      throw new IllegalArgumentException("pricing file: currency must be USD");
    }
  }

  /** Where the Twilio prices come from. */
  public String source() {
    return source;
  }

  /** The date the Twilio prices were read. */
  public LocalDate asOf() {
    return asOf;
  }

  /** Where the Resend price comes from. */
  public String resendSource() {
    return resendSource;
  }

  /** Whether {@code region} has its own prices (otherwise the default applies). */
  public boolean lists(String region) {
    return region != null && countries.containsKey(region.toUpperCase(Locale.ROOT));
  }

  public long smsSegmentMicros(String region) {
    return rates(region).sms();
  }

  public long mmsMicros(String region) {
    return rates(region).mms();
  }

  public long whatsappMicros(String region) {
    return rates(region).whatsapp();
  }

  public long voicePerMinuteMicros(String region) {
    return rates(region).voicePerMinute();
  }

  public long resendEmailMicros() {
    return resendEmailMicros;
  }

  private Rates rates(String region) {
    if (region == null) {
      return defaults;
    }
    return countries.getOrDefault(region.toUpperCase(Locale.ROOT), defaults);
  }
}
