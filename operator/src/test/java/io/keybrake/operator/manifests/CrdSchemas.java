package io.keybrake.operator.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The OpenAPI v3 schemas of the shipped CRDs as JSON schemas, by kind, to check custom resources
 * the way the API server's schema validation does, and their CEL rules ({@link CrdCelRules}).
 */
final class CrdSchemas {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Map<String, Schema> byKind = new HashMap<>();
  private final Map<String, CrdCelRules> celByKind = new HashMap<>();

  CrdSchemas(Path crdDir) throws IOException {
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
    try (Stream<Path> files = Files.list(crdDir)) {
      for (Path f : files.filter(p -> p.toString().endsWith("-v1.yml")).toList()) {
        JsonNode crd = YAML.readTree(f.toFile());
        String kind = crd.path("spec").path("names").path("kind").asText();
        ObjectNode schema =
            (ObjectNode)
                crd.path("spec")
                    .path("versions")
                    .get(0)
                    .path("schema")
                    .path("openAPIV3Schema")
                    .deepCopy();
        celByKind.put(kind, new CrdCelRules(schema.deepCopy()));
        byKind.put(kind, registry.getSchema(schema));
      }
    }
  }

  /**
   * The errors of {@code resource} on create (empty when it validates): the OpenAPI schema's, then
   * the CEL rules' (the API server evaluates CEL only on a value that passed the schema).
   */
  List<String> errors(JsonNode resource) {
    List<String> openApi = openApiErrors(resource);
    return openApi.isEmpty() ? celErrors(resource) : openApi;
  }

  /** The OpenAPI schema errors alone. */
  List<String> openApiErrors(JsonNode resource) {
    Schema schema = byKind.get(resource.path("kind").asText());
    if (schema == null) {
      throw new AssertionError("no CRD for kind " + resource.path("kind").asText());
    }
    return schema.validate(resource).stream().map(Error::toString).toList();
  }

  /** The CEL rules {@code resource} breaks on create. */
  List<String> celErrors(JsonNode resource) {
    return cel(resource).errors(resource);
  }

  /** The CEL rules (transition rules included) an update from {@code old} breaks. */
  List<String> updateErrors(JsonNode old, JsonNode updated) {
    List<String> openApi = openApiErrors(updated);
    return openApi.isEmpty() ? cel(updated).errors(old, updated) : openApi;
  }

  /** The number of CEL rules in {@code kind}'s schema. */
  int celRuleCount(String kind) {
    return celByKind.get(kind).ruleCount();
  }

  private CrdCelRules cel(JsonNode resource) {
    CrdCelRules rules = celByKind.get(resource.path("kind").asText());
    if (rules == null) {
      throw new AssertionError("no CRD for kind " + resource.path("kind").asText());
    }
    return rules;
  }

  boolean knows(String kind) {
    return byKind.containsKey(kind);
  }
}
