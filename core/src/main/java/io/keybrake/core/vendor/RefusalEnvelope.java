package io.keybrake.core.vendor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a refusal's body looks to the vendor's SDK, from the spec's {@code refusal:} section.
 * Immutable.
 *
 * @param kind the shape
 * @param codes the vendor's error code per Keybrake refusal code (wire name, e.g. {@code
 *     cap_exhausted}); the {@code default} entry, if any, for the others
 * @param numericBase for {@link Kind#TWILIO}: the code of a refusal not listed is this plus the
 *     refusal code's position, so every refusal gets a distinct number
 * @param template for {@link Kind#TEMPLATE}: a JSON value whose strings {@code ${message}}, {@code
 *     ${code}}, {@code ${vendor_code}} and {@code ${status}} are filled in (a string that is
 *     exactly {@code ${status}} becomes a number)
 * @param httpStatus the HTTP status every refusal is answered with, when the vendor's SDK reads
 *     errors only from a success answer (Vonage's SMS API answers 200 with a non-zero {@code
 *     status} per message); empty = the refusal's own status (401, 403, 429…)
 */
public record RefusalEnvelope(
    Kind kind,
    Map<String, String> codes,
    int numericBase,
    Optional<JsonNode> template,
    java.util.OptionalInt httpStatus) {

  /** An envelope answered with each refusal's own HTTP status. */
  public RefusalEnvelope(
      Kind kind, Map<String, String> codes, int numericBase, Optional<JsonNode> template) {
    this(kind, codes, numericBase, template, java.util.OptionalInt.empty());
  }

  public enum Kind {
    /** {@code code}, {@code message}, {@code status} and the details. */
    PLAIN,
    /** Plain, plus Stripe's {@code error} object ({@code type}, {@code code}, {@code message}). */
    STRIPE,
    /** Plain with a numeric {@code code} and Keybrake's code in {@code keybrake_code}. */
    TWILIO,
    /** The spec's JSON template, plus {@code keybrake_code}, {@code status} and the details. */
    TEMPLATE
  }

  /** The envelope of a vendor that declares none. */
  public static final RefusalEnvelope PLAIN = new RefusalEnvelope(Kind.PLAIN, Map.of(), 0, null);

  public RefusalEnvelope {
    Objects.requireNonNull(kind);
    codes = Map.copyOf(codes);
    template = template == null ? Optional.empty() : template;
    Objects.requireNonNull(httpStatus);
    if (kind == Kind.TEMPLATE && template.isEmpty()) {
      throw new IllegalArgumentException("a TEMPLATE refusal envelope needs a template");
    }
  }

  /** The vendor's code for a refusal, if the spec gives one (or a default). */
  public Optional<String> vendorCode(String wireName) {
    String c = codes.get(wireName);
    return Optional.ofNullable(c != null ? c : codes.get("default"));
  }
}
