package io.keybrake.operator.manifests;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with {@code kubectl kustomize}, the way {@code kubectl apply -k} does.
 */
final class Kustomize {
  private Kustomize() {}

  /** {@code kubectl} from the PATH; fails the test with what to install when it is missing. */
  static Path kubectl() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "kubectl");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new AssertionError(
        "kubectl is not on the PATH; these tests render k8s/ with `kubectl kustomize`."
            + " Install it (Debian/Ubuntu: apt-get install kubectl) and run again.");
  }

  /** The rendered YAML documents of the kustomization in {@code dir}. */
  static List<String> render(Path dir) throws IOException, InterruptedException {
    Path out = Files.createTempFile("kustomize", ".yaml");
    Path err = Files.createTempFile("kustomize", ".err");
    try {
      Process p =
          new ProcessBuilder(kubectl().toString(), "kustomize", dir.toString())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kubectl kustomize " + dir + " did not finish in 120 s");
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(
            "kubectl kustomize " + dir + " failed: " + Files.readString(err).strip());
      }
      List<String> docs = new ArrayList<>();
      for (String doc : Files.readString(out, StandardCharsets.UTF_8).split("(?m)^---\\s*$")) {
        if (!doc.isBlank()) {
          docs.add(doc);
        }
      }
      return docs;
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
