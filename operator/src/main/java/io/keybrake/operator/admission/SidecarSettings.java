package io.keybrake.operator.admission;

import java.util.List;
import java.util.Objects;

/**
 * What the injection webhook puts into a pod. Immutable.
 *
 * @param mode how vendor traffic reaches the sidecar
 * @param envoyImage the Envoy image of the native sidecar
 * @param initImage an image with {@code sh} and {@code curl} for the token exchange step
 * @param iptablesImage an image with {@code iptables} (redirect mode only)
 * @param tokenExchangeUrl where the init step exchanges the pod's token for a vault key
 * @param envoyBootstrapConfigMap the ConfigMap (in the pod's namespace) holding {@code
 *     bootstrap.yaml}, whose ADS cluster points at the control plane
 * @param caConfigMap the ConfigMap holding the cluster CA with the system roots as {@code
 *     bundle.pem} and {@code truststore.p12}
 * @param redirectPort the port of the egress listener the control plane sends the sidecar ({@code
 *     KEYBRAKE_XDS_LISTENER_PORT}): the iptables redirect's target, and in host-alias mode the port
 *     agents dial (443)
 * @param envoyUid the user Envoy runs as; its own traffic is never redirected
 * @param vendorHosts the hosts routed to the sidecar in host-alias mode
 */
public record SidecarSettings(
    Mode mode,
    String envoyImage,
    String initImage,
    String iptablesImage,
    String tokenExchangeUrl,
    String envoyBootstrapConfigMap,
    String caConfigMap,
    int redirectPort,
    long envoyUid,
    List<String> vendorHosts) {

  /** How an agent's vendor traffic is sent to the sidecar. */
  public enum Mode {
    /**
     * An init container (NET_ADMIN) redirects outbound 443 to Envoy; only Envoy's uid is exempt.
     */
    REDIRECT,
    /** {@code hostAliases} resolve vendor hosts to 127.0.0.1, where Envoy listens; no privilege. */
    HOST_ALIASES
  }

  public SidecarSettings {
    Objects.requireNonNull(mode);
    Objects.requireNonNull(envoyImage);
    Objects.requireNonNull(initImage);
    Objects.requireNonNull(iptablesImage);
    Objects.requireNonNull(tokenExchangeUrl);
    Objects.requireNonNull(envoyBootstrapConfigMap);
    Objects.requireNonNull(caConfigMap);
    vendorHosts = List.copyOf(vendorHosts);
    if (redirectPort < 1 || redirectPort > 65535) {
      throw new IllegalArgumentException("port out of range: " + redirectPort);
    }
  }

  /** Below this port, binding needs privilege unless the pod lowers it (a namespaced sysctl). */
  public static final int FIRST_UNPRIVILEGED_PORT = 1024;

  /** A copy whose sidecar listener (and redirect target) is {@code port}. */
  public SidecarSettings withListenerPort(int port) {
    return new SidecarSettings(
        mode,
        envoyImage,
        initImage,
        iptablesImage,
        tokenExchangeUrl,
        envoyBootstrapConfigMap,
        caConfigMap,
        port,
        envoyUid,
        vendorHosts);
  }

  /**
   * The shipped install's values (images pinned by tag; override them per cluster): the listener on
   * 15001 for the redirect, on 443 for host aliases.
   */
  public static SidecarSettings defaults(Mode mode) {
    return new SidecarSettings(
        mode,
        "envoyproxy/envoy:v1.36.2",
        "curlimages/curl:8.17.0",
        "ghcr.io/keybrake/iptables-init:0.1.0",
        "https://keybrake-control-plane.keybrake.svc:8443/k8s/pod-key",
        "keybrake-envoy-sidecar",
        "keybrake-ca",
        mode == Mode.HOST_ALIASES ? 443 : 15001,
        1337,
        List.of("api.twilio.com", "api.stripe.com", "api.resend.com"));
  }
}
