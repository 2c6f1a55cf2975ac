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
 * the way the API server's schema validation does (CEL rules are not evaluated here).
 */
final class CrdSchemas {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Map<String, Schema> byKind = new HashMap<>();

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
        byKind.put(kind, registry.getSchema(schema));
      }
    }
  }

  /** The schema errors of {@code resource} (empty when it validates). */
  List<String> errors(JsonNode resource) {
    Schema schema = byKind.get(resource.path("kind").asText());
    if (schema == null) {
      throw new AssertionError("no CRD for kind " + resource.path("kind").asText());
    }
    return schema.validate(resource).stream().map(Error::toString).toList();
  }

  boolean knows(String kind) {
    return byKind.containsKey(kind);
  }
}
