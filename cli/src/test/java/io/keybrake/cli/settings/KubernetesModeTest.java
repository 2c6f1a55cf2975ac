package io.keybrake.cli.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesModeTest {
  @TempDir Path dir;

  @Test
  void offByDefaultAndWhenFalse() {
    List<String> problems = new ArrayList<>();
    assertThat(KubernetesMode.parse(Map.of(), problems)).isEmpty();
    assertThat(KubernetesMode.parse(Map.of("KEYBRAKE_KUBERNETES", "false"), problems)).isEmpty();
    assertThat(problems).isEmpty();
  }

  @Test
  void onWithTheDeploymentsSettings() throws Exception {
    Path keystore = Files.writeString(dir.resolve("keystore.p12"), "not read at parse time");
    List<String> problems = new ArrayList<>();
    Optional<KubernetesMode> mode =
        KubernetesMode.parse(
            Map.of(
                "KEYBRAKE_KUBERNETES", "true",
                "KEYBRAKE_K8S_NAMESPACE", "keybrake",
                "KEYBRAKE_K8S_POD_NAME", "keybrake-control-plane-0",
                "KEYBRAKE_K8S_TLS_KEYSTORE", keystore.toString(),
                "KEYBRAKE_K8S_TLS_KEYSTORE_PASSWORD", "s3cret-pass"),
            problems);
    assertThat(problems).isEmpty();
    assertThat(mode).isPresent();
    assertThat(mode.get().httpsPort()).isEqualTo(8443);
    assertThat(mode.get().keystore()).isEqualTo(keystore);
    assertThat(mode.get().cluster().namespace()).isEqualTo("keybrake");
    assertThat(mode.get().toString()).doesNotContain("s3cret-pass");
  }

  @Test
  void everyProblemIsNamed() {
    List<String> problems = new ArrayList<>();
    Optional<KubernetesMode> mode =
        KubernetesMode.parse(
            Map.of(
                "KEYBRAKE_KUBERNETES", "true",
                "KEYBRAKE_K8S_HTTPS_PORT", "70000",
                "KEYBRAKE_K8S_TLS_KEYSTORE", dir.resolve("missing.p12").toString()),
            problems);
    assertThat(mode).isEmpty();
    assertThat(problems)
        .hasSize(4)
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_K8S_HTTPS_PORT"))
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_K8S_TLS_KEYSTORE names no"))
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_K8S_NAMESPACE"))
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_K8S_POD_NAME"));
  }

  @Test
  void aValueThatIsNeitherTrueNorFalseIsRefused() {
    List<String> problems = new ArrayList<>();
    assertThat(KubernetesMode.parse(Map.of("KEYBRAKE_KUBERNETES", "yes"), problems)).isEmpty();
    assertThat(problems).containsExactly("KEYBRAKE_KUBERNETES must be 'true' or 'false'");
  }
}
