package io.keybrake.core.vendor;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A cost rule written in the spec instead of in code ({@code cost: {rule: PER_ENTRY, …}}): one of a
 * few common shapes, priced from the spec's own numbers. Applied by {@code
 * io.keybrake.core.cost.GenericCosts}. Immutable.
 *
 * <p>Field paths: a form field name ({@code To}), or for JSON a dotted path where {@code []} walks
 * every entry of an array ({@code personalizations[].to[].email}).
 *
 * @param kind the shape
 * @param priceMicros price per call / entry / segment / minute (micro-dollars); for {@link
 *     Kind#SMS_SEGMENTS} the price where no country is listed
 * @param countryPrices {@link Kind#SMS_SEGMENTS}: price per segment by ISO region ({@code GB})
 * @param entries {@link Kind#PER_ENTRY}: the paths whose entries are counted
 * @param destination paths of the destinations the destination policy checks
 * @param destinationKind whether the destinations are phone numbers or email addresses
 * @param plusOptional phone destinations may come without a leading {@code +} (Vonage's {@code to})
 * @param amountField {@link Kind#AMOUNT}: the amount in the currency's minor units
 * @param currencyField {@link Kind#AMOUNT}: the ISO currency, else {@link #defaultCurrency}
 * @param textField {@link Kind#SMS_SEGMENTS}: the message text
 * @param durationField {@link Kind#PER_MINUTE}: seconds; absent means {@link #maxSeconds}
 * @param maxSeconds {@link Kind#PER_MINUTE}: the ceiling; a longer duration is refused
 */
public record GenericCost(
    Kind kind,
    long priceMicros,
    Map<String, Long> countryPrices,
    List<String> entries,
    List<String> destination,
    DestinationKind destinationKind,
    boolean plusOptional,
    Optional<String> amountField,
    Optional<String> currencyField,
    Optional<String> defaultCurrency,
    Optional<String> textField,
    Optional<String> durationField,
    long maxSeconds) {

  public enum Kind {
    /** A fixed price per call. */
    PER_CALL,
    /** Price x the number of entries in the listed fields (recipients, batch items). */
    PER_ENTRY,
    /** An amount field in minor units, converted to USD with the currency's exponent and rate. */
    AMOUNT,
    /** SMS: segments of the text (GSM-7 / UCS-2) x the price for the destination's country. */
    SMS_SEGMENTS,
    /** Price per started minute of a duration field, with a ceiling. */
    PER_MINUTE
  }

  /** What a destination field holds. */
  public enum DestinationKind {
    NONE,
    PHONE,
    EMAIL
  }

  public GenericCost {
    Objects.requireNonNull(kind);
    countryPrices = Map.copyOf(countryPrices);
    entries = List.copyOf(entries);
    destination = List.copyOf(destination);
    Objects.requireNonNull(destinationKind);
    Objects.requireNonNull(amountField);
    Objects.requireNonNull(currencyField);
    Objects.requireNonNull(defaultCurrency);
    Objects.requireNonNull(textField);
    Objects.requireNonNull(durationField);
  }

  /** Every field path the rule reads. */
  public List<String> fieldsRead() {
    java.util.List<String> out = new java.util.ArrayList<>(entries);
    out.addAll(destination);
    amountField.ifPresent(out::add);
    currencyField.ifPresent(out::add);
    textField.ifPresent(out::add);
    durationField.ifPresent(out::add);
    return out;
  }

  /** Whether a path walks into JSON structure (only a JSON body has it). */
  public static boolean nested(String path) {
    return path.contains(".") || path.contains("[]");
  }
}
