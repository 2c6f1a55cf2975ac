package io.keybrake.core.vendor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a vendor spec YAML (see {@code vendors/twilio.yaml}) into a validated {@link VendorSpec}.
 * Unknown fields, unknown enum values, duplicate names and malformed templates are errors.
 * Thread-safe (stateless).
 */
public final class VendorSpecParser {
  private static final YAMLMapper MAPPER = new YAMLMapper();
  private static final Set<String> TOP =
      Set.of(
          "id", "upstream", "key_presentation", "endpoints", "forward_headers", "account_headers");
  private static final Set<String> ENDPOINT =
      Set.of("name", "method", "path", "body", "cost", "named");

  private VendorSpecParser() {}

  /**
   * Parses one spec.
   *
   * @throws IllegalArgumentException when the spec is invalid
   */
  public static VendorSpec parse(InputStream yaml) {
    JsonNode root;
    try (yaml) {
      root = MAPPER.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "vendor spec is not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read vendor spec", e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("vendor spec is not a YAML mapping");
    }
    checkFields(root, TOP, "vendor spec");
    String id = text(root, "id");
    URI upstream = URI.create(text(root, "upstream"));
    if (!"https".equals(upstream.getScheme()) || upstream.getHost() == null) {
      throw new IllegalArgumentException("vendor " + id + ": upstream must be an https URL");
    }
    List<KeyPresentation> keys = new ArrayList<>();
    for (JsonNode k : list(root, "key_presentation")) {
      keys.add(enumValue(KeyPresentation.class, k.asText(), "key_presentation"));
    }
    List<EndpointSpec> endpoints = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> signatures = new HashSet<>();
    for (JsonNode e : list(root, "endpoints")) {
      checkFields(e, ENDPOINT, "vendor " + id + " endpoint");
      JsonNode named = e.get("named");
      EndpointSpec spec =
          new EndpointSpec(
              text(e, "name"),
              text(e, "method").toUpperCase(Locale.ROOT),
              text(e, "path"),
              enumValue(BodyFormat.class, text(e, "body"), "body"),
              enumValue(CostRule.class, text(e, "cost"), "cost"),
              named == null || named.asBoolean());
      if (!names.add(spec.name()) || !signatures.add(spec.signature())) {
        throw new IllegalArgumentException(
            "vendor " + id + ": endpoint " + spec.signature() + " is declared twice");
      }
      endpoints.add(spec);
    }
    return new VendorSpec(
        id,
        upstream,
        keys,
        endpoints,
        headerNames(root, "forward_headers"),
        headerNames(root, "account_headers"));
  }

  /** An optional list of header names (RFC 9110 tokens). */
  private static List<String> headerNames(JsonNode root, String field) {
    JsonNode value = root.get(field);
    if (value == null) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new IllegalArgumentException("vendor spec: '" + field + "' must be a list");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : value) {
      String name = n.asText();
      if (!n.isTextual() || !name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
        throw new IllegalArgumentException("vendor spec: '" + field + "' holds header names");
      }
      out.add(name.toLowerCase(Locale.ROOT));
    }
    return out;
  }

  private static void checkFields(JsonNode node, Set<String> allowed, String where) {
    for (var f : node.properties()) {
      if (!allowed.contains(f.getKey())) {
        throw new IllegalArgumentException(where + ": unknown field '" + f.getKey() + "'");
      }
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw new IllegalArgumentException("vendor spec: '" + field + "' is required");
    }
    return value.asText();
  }

  private static JsonNode list(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isArray() || value.isEmpty()) {
      throw new IllegalArgumentException("vendor spec: '" + field + "' must be a non-empty list");
    }
    return value;
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String field) {
    try {
      return Enum.valueOf(type, value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("vendor spec: unknown " + field + " '" + value + "'", e);
    }
  }
}
