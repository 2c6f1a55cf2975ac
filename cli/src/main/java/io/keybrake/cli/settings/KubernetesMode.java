package io.keybrake.cli.settings;

import io.keybrake.operator.KubernetesSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Kubernetes mode of {@code keybrake control-plane} ({@code KEYBRAKE_KUBERNETES=true}; off by
 * default): the operator, the pod webhook and token exchange on an HTTPS port, SDS certificates.
 * Immutable.
 *
 * @param cluster the operator's own settings ({@code KEYBRAKE_K8S_NAMESPACE}, {@code
 *     KEYBRAKE_K8S_POD_NAME}, {@code KEYBRAKE_K8S_CA_DIR}…)
 * @param httpsPort the webhook and token exchange port ({@code KEYBRAKE_K8S_HTTPS_PORT}, 8443; 0 =
 *     any free port)
 * @param keystore the serving certificate as a PKCS12 keystore, the {@code keystore.p12}
 *     cert-manager writes ({@code KEYBRAKE_K8S_TLS_KEYSTORE}); reloaded when it changes
 * @param keystorePassword its password ({@code KEYBRAKE_K8S_TLS_KEYSTORE_PASSWORD})
 */
public record KubernetesMode(
    KubernetesSettings cluster, int httpsPort, Path keystore, String keystorePassword) {

  public static final int DEFAULT_HTTPS_PORT = 8443;

  public KubernetesMode {
    Objects.requireNonNull(cluster);
    Objects.requireNonNull(keystore);
    Objects.requireNonNull(keystorePassword);
  }

  /**
   * Reads the settings: empty when Kubernetes mode is off; problems are added to {@code problems}.
   */
  public static Optional<KubernetesMode> parse(Map<String, String> env, List<String> problems) {
    String enabled = env.getOrDefault("KEYBRAKE_KUBERNETES", "false").strip();
    switch (enabled.toLowerCase(Locale.ROOT)) {
      case "", "false" -> {
        return Optional.empty();
      }
      case "true" -> {}
      default -> {
        problems.add("KEYBRAKE_KUBERNETES must be 'true' or 'false'");
        return Optional.empty();
      }
    }
    int before = problems.size();
    int port = DEFAULT_HTTPS_PORT;
    String rawPort = env.getOrDefault("KEYBRAKE_K8S_HTTPS_PORT", "").strip();
    if (!rawPort.isEmpty()) {
      try {
        port = Integer.parseInt(rawPort);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        problems.add("KEYBRAKE_K8S_HTTPS_PORT must be a port number (0-65535)");
      }
    }
    String store = env.getOrDefault("KEYBRAKE_K8S_TLS_KEYSTORE", "").strip();
    if (store.isEmpty()) {
      problems.add("KEYBRAKE_K8S_TLS_KEYSTORE is required (the PKCS12 serving keystore)");
    } else if (!Files.isReadable(Path.of(store))) {
      problems.add("KEYBRAKE_K8S_TLS_KEYSTORE names no readable file");
    }
    String password = env.getOrDefault("KEYBRAKE_K8S_TLS_KEYSTORE_PASSWORD", "");
    KubernetesSettings.Parsed cluster = KubernetesSettings.fromEnv(env);
    if (cluster instanceof KubernetesSettings.Parsed.Invalid bad) {
      problems.addAll(bad.problems());
    }
    if (problems.size() > before) {
      return Optional.empty();
    }
    return Optional.of(
        new KubernetesMode(
            ((KubernetesSettings.Parsed.Ok) cluster).settings(), port, Path.of(store), password));
  }

  @Override
  public String toString() {
    return "KubernetesMode[cluster="
        + cluster
        + ", httpsPort="
        + httpsPort
        + ", keystore="
        + keystore
        + ", keystorePassword=***]";
  }
}
