package io.keybrake.operator;

import io.keybrake.operator.admission.SidecarSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the Kubernetes part of a control plane, read from the environment the Deployment in
 * {@code k8s/base} sets. Immutable.
 *
 * @param namespace the control plane's namespace ({@code KEYBRAKE_K8S_NAMESPACE}): the Lease lives
 *     there, and vendor-wide SpendBudgets are accepted only there
 * @param podName this replica's name ({@code KEYBRAKE_K8S_POD_NAME}), its leader-election identity
 * @param sidecar what the webhook injects ({@code KEYBRAKE_K8S_INJECTION_MODE}: {@code redirect} or
 *     {@code host-aliases})
 * @param caDir the cluster CA's {@code tls.crt}/{@code tls.key} ({@code KEYBRAKE_K8S_CA_DIR}); no
 *     vendor-host certificates without it
 * @param resync how often every custom resource is reconciled again (status spend)
 * @param vendorCertificateLifetime lifetime of each vendor-host certificate
 */
public record KubernetesSettings(
    String namespace,
    String podName,
    SidecarSettings sidecar,
    Optional<Path> caDir,
    Duration resync,
    Duration vendorCertificateLifetime) {

  public KubernetesSettings {
    Objects.requireNonNull(namespace);
    Objects.requireNonNull(podName);
    Objects.requireNonNull(sidecar);
    Objects.requireNonNull(caDir);
    Objects.requireNonNull(resync);
    Objects.requireNonNull(vendorCertificateLifetime);
  }

  /** The outcome of {@link #fromEnv}: settings, or every problem. */
  public sealed interface Parsed {
    record Ok(KubernetesSettings settings) implements Parsed {}

    record Invalid(List<String> problems) implements Parsed {}
  }

  public static Parsed fromEnv(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    String ns = env.getOrDefault("KEYBRAKE_K8S_NAMESPACE", "").strip();
    String pod = env.getOrDefault("KEYBRAKE_K8S_POD_NAME", "").strip();
    if (ns.isEmpty()) {
      problems.add("KEYBRAKE_K8S_NAMESPACE is required (the control plane's namespace)");
    }
    if (pod.isEmpty()) {
      problems.add("KEYBRAKE_K8S_POD_NAME is required (this replica's pod name)");
    }
    String mode =
        env.getOrDefault("KEYBRAKE_K8S_INJECTION_MODE", "redirect")
            .strip()
            .toLowerCase(Locale.ROOT);
    SidecarSettings.Mode m = SidecarSettings.Mode.REDIRECT;
    switch (mode) {
      case "redirect" -> m = SidecarSettings.Mode.REDIRECT;
      case "host-aliases" -> m = SidecarSettings.Mode.HOST_ALIASES;
      default -> problems.add("KEYBRAKE_K8S_INJECTION_MODE must be 'redirect' or 'host-aliases'");
    }
    // the sidecar's listener is the one the control plane sends over xDS: one setting for both
    int listenerPort = 10000;
    String rawPort = env.getOrDefault("KEYBRAKE_XDS_LISTENER_PORT", "").strip();
    if (!rawPort.isEmpty()) {
      try {
        listenerPort = Integer.parseInt(rawPort);
      } catch (NumberFormatException e) {
        listenerPort = -1;
      }
      if (listenerPort < 1 || listenerPort > 65535) {
        problems.add("KEYBRAKE_XDS_LISTENER_PORT must be a port number (1-65535)");
      }
    }
    if (m == SidecarSettings.Mode.HOST_ALIASES && listenerPort != 443) {
      problems.add(
          "KEYBRAKE_K8S_INJECTION_MODE=host-aliases needs KEYBRAKE_XDS_LISTENER_PORT=443: agents"
              + " dial the vendor host's port 443, which the host aliases send to Envoy on"
              + " 127.0.0.1");
    }
    Optional<Path> ca =
        Optional.ofNullable(env.get("KEYBRAKE_K8S_CA_DIR")).filter(s -> !s.isBlank()).map(Path::of);
    if (!problems.isEmpty()) {
      return new Parsed.Invalid(List.copyOf(problems));
    }
    return new Parsed.Ok(
        new KubernetesSettings(
            ns,
            pod,
            SidecarSettings.defaults(m).withListenerPort(listenerPort),
            ca,
            Duration.ofSeconds(30),
            Duration.ofHours(24)));
  }
}
