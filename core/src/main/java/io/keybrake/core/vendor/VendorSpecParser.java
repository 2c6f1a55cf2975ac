package io.keybrake.core.vendor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.keybrake.core.money.Micros;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a vendor spec YAML (see {@code vendors/twilio.yaml} and {@code docs/vendors.md}) into a
 * validated {@link VendorSpec}. Unknown fields, unknown enum values, duplicate names and malformed
 * templates are errors, and so is a spec whose parts do not fit each other ({@link
 * VendorSpecCheck}): every message starts with the file's name. Thread-safe (stateless).
 */
public final class VendorSpecParser {
  private static final YAMLMapper MAPPER = new YAMLMapper();
  private static final Set<String> TOP =
      Set.of(
          "id",
          "upstream",
          "hosts",
          "key_presentation",
          "key_path_variable",
          "credential",
          "refusal",
          "price_source",
          "endpoints",
          "forward_headers",
          "account_headers");
  private static final Set<String> ENDPOINT =
      Set.of("name", "method", "path", "body", "cost", "named");
  private static final Set<String> CREDENTIAL =
      Set.of("name", "secret", "pattern", "description", "inject");
  private static final Set<String> REFUSAL =
      Set.of("envelope", "codes", "numeric_base", "template", "http_status");
  private static final Set<String> GENERIC =
      Set.of(
          "rule",
          "price_usd",
          "country_prices_usd",
          "entries",
          "destination",
          "destination_kind",
          "plus_optional",
          "amount",
          "currency",
          "default_currency",
          "text",
          "duration",
          "max_seconds");
  private static final Pattern ID = Pattern.compile("[a-z][a-z0-9]{0,31}");
  private static final Pattern FIELD_NAME = Pattern.compile("[a-z][a-z0-9_]{0,31}");

  private VendorSpecParser() {}

  /**
   * Parses one spec.
   *
   * @throws IllegalArgumentException when the spec is invalid
   */
  public static VendorSpec parse(InputStream yaml) {
    return parse(yaml, "vendor spec");
  }

  /**
   * Parses one spec read from {@code source} (a file or resource name, quoted in every error).
   *
   * @throws IllegalArgumentException when the spec is invalid; the message starts with {@code
   *     source}
   */
  public static VendorSpec parse(InputStream yaml, String source) {
    JsonNode root;
    try (yaml) {
      root = MAPPER.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + ": vendor spec is not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(source + ": cannot read vendor spec", e);
    }
    try {
      VendorSpec spec = read(root);
      VendorSpecCheck.check(spec);
      return spec;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static VendorSpec read(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("vendor spec is not a YAML mapping");
    }
    checkFields(root, TOP, "vendor spec");
    String id = text(root, "id");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "id '" + id + "' must be 1 to 32 lower-case letters and digits, starting with a letter");
    }
    URI upstream;
    try {
      upstream = URI.create(text(root, "upstream"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("vendor " + id + ": upstream is not a URL");
    }
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
      String name = text(e, "name");
      JsonNode costNode = e.get("cost");
      CostRule rule;
      Optional<GenericCost> generic = Optional.empty();
      if (costNode != null && costNode.isObject()) {
        rule = CostRule.GENERIC;
        try {
          generic = Optional.of(generic(costNode));
        } catch (IllegalArgumentException bad) {
          throw new IllegalArgumentException("endpoint " + name + ": " + bad.getMessage());
        }
      } else {
        rule = enumValue(CostRule.class, text(e, "cost"), "cost");
        if (rule == CostRule.GENERIC) {
          throw new IllegalArgumentException(
              "endpoint " + name + ": a GENERIC cost is written as a mapping with its rule");
        }
      }
      EndpointSpec spec;
      try {
        spec =
            new EndpointSpec(
                name,
                text(e, "method").toUpperCase(Locale.ROOT),
                text(e, "path"),
                enumValue(BodyFormat.class, text(e, "body"), "body"),
                rule,
                named == null || named.asBoolean(),
                generic);
        PathTemplate.of(spec.pathTemplate());
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("endpoint " + name + ": " + bad.getMessage());
      }
      if (!names.add(spec.name()) || !signatures.add(spec.signature())) {
        throw new IllegalArgumentException(
            "vendor " + id + ": endpoint " + spec.signature() + " is declared twice");
      }
      endpoints.add(spec);
    }
    JsonNode pathVar = root.get("key_path_variable");
    return new VendorSpec(
        id,
        upstream,
        keys,
        endpoints,
        headerNames(root, "forward_headers"),
        headerNames(root, "account_headers"),
        credential(root),
        pathVar == null ? Optional.empty() : Optional.of(text(root, "key_path_variable")),
        refusal(root.get("refusal")),
        hostNames(root),
        root.has("price_source") ? text(root, "price_source") : "spec");
  }

  private static List<CredentialField> credential(JsonNode root) {
    List<CredentialField> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (JsonNode f : list(root, "credential")) {
      checkFields(f, CREDENTIAL, "credential field");
      String name = text(f, "name");
      if (!FIELD_NAME.matcher(name).matches() || !seen.add(name)) {
        throw new IllegalArgumentException(
            "credential field '" + name + "' must be a distinct lower-case name");
      }
      Optional<Pattern> pattern = Optional.empty();
      if (f.has("pattern")) {
        try {
          pattern = Optional.of(Pattern.compile(text(f, "pattern")));
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "credential field '" + name + "': pattern is not a regular expression");
        }
      }
      List<CredentialField.Injection> inject = new ArrayList<>();
      for (JsonNode i : list(f, "inject")) {
        try {
          inject.add(CredentialField.Injection.parse(i.asText()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("credential field '" + name + "': " + e.getMessage());
        }
      }
      JsonNode secret = f.get("secret");
      if (secret == null || !secret.isBoolean()) {
        throw new IllegalArgumentException(
            "credential field '" + name + "': 'secret' is required (true or false)");
      }
      out.add(
          new CredentialField(
              name,
              secret.asBoolean(),
              pattern,
              f.has("description") ? text(f, "description") : "a non-empty value",
              inject));
    }
    return out;
  }

  private static RefusalEnvelope refusal(JsonNode node) {
    if (node == null) {
      return RefusalEnvelope.PLAIN;
    }
    checkFields(node, REFUSAL, "refusal");
    RefusalEnvelope.Kind kind =
        enumValue(RefusalEnvelope.Kind.class, text(node, "envelope"), "refusal envelope");
    Map<String, String> codes = new LinkedHashMap<>();
    JsonNode codesNode = node.get("codes");
    if (codesNode != null) {
      if (!codesNode.isObject()) {
        throw new IllegalArgumentException(
            "refusal: 'codes' must map refusal codes to vendor codes");
      }
      for (var c : codesNode.properties()) {
        if (!c.getValue().isValueNode()) {
          throw new IllegalArgumentException("refusal: code '" + c.getKey() + "' must be a value");
        }
        codes.put(c.getKey(), c.getValue().asText());
      }
    }
    JsonNode base = node.get("numeric_base");
    if (base != null && !base.canConvertToInt()) {
      throw new IllegalArgumentException("refusal: 'numeric_base' must be an integer");
    }
    JsonNode template = node.get("template");
    if (kind == RefusalEnvelope.Kind.TEMPLATE && (template == null || !template.isObject())) {
      throw new IllegalArgumentException("refusal: a TEMPLATE envelope needs a 'template' object");
    }
    JsonNode http = node.get("http_status");
    if (http != null && (!http.canConvertToInt() || http.asInt() < 200 || http.asInt() > 599)) {
      throw new IllegalArgumentException("refusal: 'http_status' must be an HTTP status (200-599)");
    }
    return new RefusalEnvelope(
        kind,
        codes,
        base == null ? 0 : base.asInt(),
        kind == RefusalEnvelope.Kind.TEMPLATE ? Optional.of(template) : Optional.empty(),
        http == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(http.asInt()));
  }

  private static GenericCost generic(JsonNode node) {
    checkFields(node, GENERIC, "cost");
    GenericCost.Kind kind = enumValue(GenericCost.Kind.class, text(node, "rule"), "cost rule");
    Map<String, Long> countries = new LinkedHashMap<>();
    JsonNode byCountry = node.get("country_prices_usd");
    if (byCountry != null) {
      if (!byCountry.isObject()) {
        throw new IllegalArgumentException("'country_prices_usd' must map regions to prices");
      }
      for (var c : byCountry.properties()) {
        if (!c.getKey().matches("[A-Z]{2}")) {
          throw new IllegalArgumentException(
              "'country_prices_usd' key '" + c.getKey() + "' is not an ISO region such as GB");
        }
        countries.put(c.getKey(), price(c.getValue(), "country_prices_usd." + c.getKey()));
      }
    }
    JsonNode max = node.get("max_seconds");
    if (max != null && (!max.canConvertToLong() || max.asLong() <= 0)) {
      throw new IllegalArgumentException("'max_seconds' must be a positive number of seconds");
    }
    JsonNode plus = node.get("plus_optional");
    JsonNode destKind = node.get("destination_kind");
    return new GenericCost(
        kind,
        node.has("price_usd") ? price(node.get("price_usd"), "price_usd") : -1,
        countries,
        paths(node, "entries"),
        paths(node, "destination"),
        destKind == null
            ? GenericCost.DestinationKind.NONE
            : enumValue(GenericCost.DestinationKind.class, destKind.asText(), "destination_kind"),
        plus != null && plus.asBoolean(),
        optText(node, "amount"),
        optText(node, "currency"),
        optText(node, "default_currency").map(c -> c.toLowerCase(Locale.ROOT)),
        optText(node, "text"),
        optText(node, "duration"),
        max == null ? 0 : max.asLong());
  }

  private static long price(JsonNode n, String field) {
    try {
      BigDecimal usd = new BigDecimal(n.asText().trim());
      if (usd.signum() < 0) {
        throw new NumberFormatException();
      }
      return Micros.fromUsd(usd);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "'" + field + "' must be a price in USD such as \"0.0075\"");
    }
  }

  private static List<String> paths(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode p : v.isArray() ? v : MAPPER.createArrayNode().add(v)) {
      String path = p.asText();
      if (!p.isTextual() || !path.matches("[A-Za-z0-9_-]+(\\[\\])?(\\.[A-Za-z0-9_-]+(\\[\\])?)*")) {
        throw new IllegalArgumentException(
            "'" + field + "' entry '" + path + "' is not a field path such as a.b[].c");
      }
      out.add(path);
    }
    return out;
  }

  private static Optional<String> optText(JsonNode node, String field) {
    return node.has(field) ? Optional.of(text(node, field)) : Optional.empty();
  }

  private static List<String> hostNames(JsonNode root) {
    JsonNode value = root.get("hosts");
    if (value == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : list(root, "hosts")) {
      if (!n.isTextual() || !n.asText().matches("[A-Za-z0-9.-]+")) {
        throw new IllegalArgumentException("'hosts' holds host names");
      }
      out.add(n.asText());
    }
    return out;
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
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + " must be a mapping");
    }
    for (var f : node.properties()) {
      if (!allowed.contains(f.getKey())) {
        throw new IllegalArgumentException(where + ": unknown field '" + f.getKey() + "'");
      }
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isValueNode() || value.asText().isBlank()) {
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
