package io.keybrake.harness.xds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads Envoy YAML the way Envoy does: YAML to JSON, then JSON into the v3 protos with a type
 * registry of every typed_config we use, and no tolerance for unknown fields, types or enums.
 */
final class EnvoyYaml {

  static final JsonFormat.TypeRegistry JSON_TYPES =
      JsonFormat.TypeRegistry.newBuilder().add(EnvoyTypes.DESCRIPTORS).build();
  static final JsonFormat.Parser PARSER = JsonFormat.parser().usingTypeRegistry(JSON_TYPES);
  static final JsonFormat.Printer PRINTER = JsonFormat.printer().usingTypeRegistry(JSON_TYPES);

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private EnvoyYaml() {}

  /** The repository's {@code envoy/} folder, found from the module directory. */
  static Path envoyDir() {
    Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    return module.resolve("../envoy").normalize();
  }

  static List<Path> allYaml() throws IOException {
    try (Stream<Path> files = Files.walk(envoyDir())) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  static Bootstrap bootstrap(Path yaml) throws IOException {
    return bootstrap(Files.readString(yaml));
  }

  static Bootstrap bootstrap(String yaml) throws IOException {
    Bootstrap.Builder b = Bootstrap.newBuilder();
    PARSER.merge(JSON.writeValueAsString(YAML.readTree(yaml)), b);
    return b.build();
  }

  /** Prints {@code m} to JSON and parses it back into a fresh message of the same type. */
  @SuppressWarnings("unchecked")
  static <T extends Message> T roundTrip(T m) throws InvalidProtocolBufferException {
    Message.Builder b = m.newBuilderForType();
    PARSER.merge(PRINTER.print(m), b);
    return (T) b.build();
  }
}
