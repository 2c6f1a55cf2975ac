package io.keybrake.core.pricing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/** Reading the pricing data files: exact decimals, clear errors. Thread-safe (stateless). */
final class PricingYaml {
  private static final YAMLMapper MAPPER =
      YAMLMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

  private PricingYaml() {}

  static JsonNode read(InputStream yaml) {
    try (yaml) {
      JsonNode root = MAPPER.readTree(yaml);
      if (root == null || !root.isObject()) {
        throw new IllegalArgumentException("pricing file is not a YAML mapping");
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read pricing file", e);
    }
  }

  static InputStream resource(String name) {
    InputStream in = PricingYaml.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing classpath resource " + name);
    }
    return in;
  }

  static String text(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isValueNode() || node.asText().isBlank()) {
      throw new IllegalArgumentException("pricing file: '" + field + "' is required");
    }
    return node.asText().trim();
  }

  static LocalDate date(JsonNode parent, String field) {
    try {
      return LocalDate.parse(text(parent, field));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("pricing file: '" + field + "' must be YYYY-MM-DD", e);
    }
  }

  /** A non-negative decimal, from a YAML number or string. */
  static BigDecimal decimal(JsonNode parent, String field) {
    String text = text(parent, field);
    try {
      BigDecimal value = new BigDecimal(text);
      if (value.signum() < 0) {
        throw new IllegalArgumentException("pricing file: '" + field + "' must not be negative");
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("pricing file: '" + field + "' is not a number", e);
    }
  }
}
