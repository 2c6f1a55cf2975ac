package io.keybrake.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crdv2.generator.CRDGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRDs shipped under {@code k8s/crds/} are exactly what fabric8's crd-generator makes of the
 * Java types. To refresh them after changing a type, run this test with {@code
 * -Dkeybrake.writeCrds=true}.
 */
class GeneratedCrdsTest {
  static final Path CRDS = Path.of("..", "k8s", "crds");

  @Test
  void shippedCrdsMatchTheJavaTypes(@TempDir Path out) throws IOException {
    new CRDGenerator()
        .inOutputDir(out.toFile())
        .forCRDVersions("v1")
        .customResourceClasses(
            VendorCredential.class,
            SpendPolicy.class,
            SpendBudget.class,
            VaultKey.class,
            VendorSpecResource.class)
        .generate();
    TreeMap<String, String> generated = read(out);
    assertThat(generated).hasSize(5);
    if (Boolean.getBoolean("keybrake.writeCrds")) {
      Files.createDirectories(CRDS);
      for (var e : generated.entrySet()) {
        Files.writeString(CRDS.resolve(e.getKey()), e.getValue());
      }
    }
    assertThat(read(CRDS))
        .as(
            "k8s/crds/ is stale: run ./mvnw -pl operator -am test -Dtest=GeneratedCrdsTest"
                + " -Dkeybrake.writeCrds=true -Dsurefire.failIfNoSpecifiedTests=false")
        .isEqualTo(generated);
  }

  static TreeMap<String, String> read(Path dir) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> yamls = files.filter(p -> p.toString().endsWith("-v1.yml")).toList();
      for (Path p : yamls) {
        out.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return out;
  }
}
