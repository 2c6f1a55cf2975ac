package io.keybrake.operator.admission;

import static io.keybrake.operator.admission.PodMounts.BOOTSTRAP_DIR;
import static io.keybrake.operator.admission.PodMounts.BOOTSTRAP_VOLUME;
import static io.keybrake.operator.admission.PodMounts.CA_DIR;
import static io.keybrake.operator.admission.PodMounts.CA_VOLUME;
import static io.keybrake.operator.admission.PodMounts.ENV_FILE;
import static io.keybrake.operator.admission.PodMounts.SECRETS_DIR;
import static io.keybrake.operator.admission.PodMounts.SECRETS_VOLUME;
import static io.keybrake.operator.admission.PodMounts.TOKEN_DIR;
import static io.keybrake.operator.admission.PodMounts.TOKEN_VOLUME;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.HostAliasBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.keybrake.operator.crd.Injection;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON Patch that turns an agent pod into an injected one: volumes (in-memory secrets, the
 * projected ServiceAccount token with audience {@code keybrake}, the cluster CA, the Envoy
 * bootstrap), init steps (iptables redirect in {@link SidecarSettings.Mode#REDIRECT} mode; the
 * token exchange), the native Envoy sidecar (an init container with {@code restartPolicy: Always}),
 * and for every app container the key file, the CA trust variables and read-only mounts.
 * Deterministic: the same pod gives the same patch.
 */
final class SidecarPatch {
  static final String ENVOY = "keybrake-envoy";
  static final String VAULT_KEY_INIT = "keybrake-vault-key";
  static final String IPTABLES_INIT = "keybrake-redirect";
  static final String TRUST_STORE_PASSWORD = "keybrake";
  static final String PORT_SYSCTL = "net.ipv4.ip_unprivileged_port_start";

  private final SidecarSettings settings;
  private final Injection injection;

  SidecarPatch(SidecarSettings settings, Injection injection) {
    this.settings = settings;
    this.injection = injection;
  }

  List<JsonNode> operations(JsonNode pod) {
    JsonNode spec = pod.path("spec");
    List<JsonNode> ops = new ArrayList<>();
    ops.add(
        add(
            "/metadata/annotations/" + escape(PodInjector.INJECTED_ANNOTATION),
            JsonNodeFactory.instance.textNode("true")));
    JsonNode labels = pod.path("metadata").path("labels");
    if (labels.isObject()) {
      ops.add(
          add(
              "/metadata/labels/" + escape(PodInjector.INJECTED_ANNOTATION),
              JsonNodeFactory.instance.textNode("true")));
    } else {
      ObjectNode l = JsonNodeFactory.instance.objectNode();
      l.put(PodInjector.INJECTED_ANNOTATION, "true");
      ops.add(add("/metadata/labels", l));
    }
    appendAll(ops, spec, "volumes", volumes());
    List<Container> init = new ArrayList<>();
    if (settings.mode() == SidecarSettings.Mode.REDIRECT) {
      init.add(redirect());
    }
    init.add(vaultKeyStep());
    init.add(envoy());
    prependAll(ops, spec, "initContainers", init);
    if (settings.mode() == SidecarSettings.Mode.HOST_ALIASES) {
      appendAll(ops, spec, "hostAliases", List.of(hostAliases()));
    }
    if (settings.redirectPort() < SidecarSettings.FIRST_UNPRIVILEGED_PORT) {
      unprivilegedPortStart(ops, spec);
    }
    JsonNode containers = spec.path("containers");
    for (int i = 0; i < containers.size(); i++) {
      String base = "/spec/containers/" + i;
      appendAll(ops, containers.get(i), "env", appEnv(), base);
      appendAll(ops, containers.get(i), "volumeMounts", appMounts(), base);
    }
    return ops;
  }

  private List<Volume> volumes() {
    return List.of(
        new VolumeBuilder()
            .withName(SECRETS_VOLUME)
            .withNewEmptyDir()
            .withMedium("Memory")
            .withNewSizeLimit("1Mi")
            .endEmptyDir()
            .build(),
        new VolumeBuilder()
            .withName(TOKEN_VOLUME)
            .withNewProjected()
            .addNewSource()
            .withNewServiceAccountToken()
            .withAudience(PodMounts.TOKEN_AUDIENCE)
            .withExpirationSeconds(PodMounts.TOKEN_SECONDS)
            .withPath("token")
            .endServiceAccountToken()
            .endSource()
            .endProjected()
            .build(),
        new VolumeBuilder()
            .withName(CA_VOLUME)
            .withNewConfigMap()
            .withName(settings.caConfigMap())
            .endConfigMap()
            .build(),
        new VolumeBuilder()
            .withName(BOOTSTRAP_VOLUME)
            .withNewConfigMap()
            .withName(settings.envoyBootstrapConfigMap())
            .endConfigMap()
            .build());
  }

  private Container redirect() {
    String uid = Long.toString(settings.envoyUid());
    String port = Integer.toString(settings.redirectPort());
    String script =
        String.join(
            "\n",
            "set -eu",
            "iptables -t nat -N KEYBRAKE_OUTPUT",
            "iptables -t nat -A KEYBRAKE_OUTPUT -m owner --uid-owner " + uid + " -j RETURN",
            "iptables -t nat -A KEYBRAKE_OUTPUT -d 127.0.0.0/8 -j RETURN",
            "iptables -t nat -A KEYBRAKE_OUTPUT -p tcp --dport 443 -j REDIRECT --to-ports " + port,
            "iptables -t nat -A OUTPUT -p tcp -j KEYBRAKE_OUTPUT");
    return new ContainerBuilder()
        .withName(IPTABLES_INIT)
        .withImage(settings.iptablesImage())
        .withCommand("sh", "-c", script)
        .withNewSecurityContext()
        .withRunAsUser(0L)
        .withRunAsNonRoot(false)
        .withNewCapabilities()
        .withAdd("NET_ADMIN", "NET_RAW")
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .build();
  }

  private Container vaultKeyStep() {
    String file = SECRETS_DIR + "/" + injection.fileOrDefault();
    List<String> lines = new ArrayList<>();
    lines.add("set -eu");
    // readable by the pod's other containers (the app runs as another user); the volume is in
    // memory and mounted only in this pod
    lines.add("umask 022");
    lines.add(
        "curl -sS --fail --retry 10 --retry-all-errors --retry-max-time 120"
            + " --cacert "
            + CA_DIR
            + "/bundle.pem -X POST"
            + " -H \"Authorization: Bearer $(cat "
            + TOKEN_DIR
            + "/token)\" -o "
            + file
            + " "
            + settings.tokenExchangeUrl());
    if (injection.getEnvVar() != null) {
      lines.add(
          "printf '%s=%s\\n' " + injection.getEnvVar() + " \"$(cat " + file + ")\" > " + ENV_FILE);
    }
    return new ContainerBuilder()
        .withName(VAULT_KEY_INIT)
        .withImage(settings.initImage())
        .withCommand("sh", "-c", String.join("\n", lines))
        .withVolumeMounts(
            mount(SECRETS_VOLUME, SECRETS_DIR, false),
            mount(TOKEN_VOLUME, TOKEN_DIR, true),
            mount(CA_VOLUME, CA_DIR, true))
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(settings.envoyUid())
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .build();
  }

  private Container envoy() {
    return new ContainerBuilder()
        .withName(ENVOY)
        .withImage(settings.envoyImage())
        .withRestartPolicy("Always")
        .withArgs(
            "-c",
            BOOTSTRAP_DIR + "/bootstrap.yaml",
            "--service-cluster",
            "sidecar",
            "--service-node",
            "$(POD_NAMESPACE).$(POD_NAME)")
        .withEnv(
            fieldRef("POD_NAME", "metadata.name"), fieldRef("POD_NAMESPACE", "metadata.namespace"))
        .withVolumeMounts(mount(BOOTSTRAP_VOLUME, BOOTSTRAP_DIR, true))
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(settings.envoyUid())
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .build();
  }

  /**
   * Lets Envoy (not root, no capabilities) bind a listener port below 1024, e.g. 443 in host-alias
   * mode, through the pod's own network namespace: {@value #PORT_SYSCTL} is a "safe" sysctl that
   * Pod Security "restricted" admits. A pod's own lower value is kept.
   */
  private void unprivilegedPortStart(List<JsonNode> ops, JsonNode spec) {
    String port = Integer.toString(settings.redirectPort());
    ObjectNode sysctl = JsonNodeFactory.instance.objectNode();
    sysctl.put("name", PORT_SYSCTL);
    sysctl.put("value", port);
    JsonNode context = spec.path("securityContext");
    if (!context.isObject()) {
      ObjectNode c = JsonNodeFactory.instance.objectNode();
      c.putArray("sysctls").add(sysctl);
      ops.add(add("/spec/securityContext", c));
      return;
    }
    JsonNode sysctls = context.path("sysctls");
    if (!sysctls.isArray()) {
      ops.add(
          add("/spec/securityContext/sysctls", JsonNodeFactory.instance.arrayNode().add(sysctl)));
      return;
    }
    for (int i = 0; i < sysctls.size(); i++) {
      if (PORT_SYSCTL.equals(sysctls.get(i).path("name").asText())) {
        if (lowerOrEqual(sysctls.get(i).path("value").asText(), settings.redirectPort())) {
          return;
        }
        ObjectNode op = JsonNodeFactory.instance.objectNode();
        op.put("op", "replace");
        op.put("path", "/spec/securityContext/sysctls/" + i + "/value");
        op.put("value", port);
        ops.add(op);
        return;
      }
    }
    ops.add(add("/spec/securityContext/sysctls/-", sysctl));
  }

  private static boolean lowerOrEqual(String value, int port) {
    try {
      return Integer.parseInt(value.strip()) <= port;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private HostAlias hostAliases() {
    return new HostAliasBuilder().withIp("127.0.0.1").withHostnames(settings.vendorHosts()).build();
  }

  private List<EnvVar> appEnv() {
    List<EnvVar> env = new ArrayList<>();
    env.add(value("KEYBRAKE_VAULT_KEY_FILE", SECRETS_DIR + "/" + injection.fileOrDefault()));
    if (injection.getEnvVar() != null) {
      env.add(value("KEYBRAKE_ENV_FILE", ENV_FILE));
    }
    // bundle.pem: the system roots plus the Keybrake CA (trust-manager keeps it current)
    String bundle = CA_DIR + "/bundle.pem";
    env.add(value("SSL_CERT_FILE", bundle));
    env.add(value("NODE_EXTRA_CA_CERTS", bundle));
    env.add(value("REQUESTS_CA_BUNDLE", bundle));
    env.add(
        value(
            "JAVA_TOOL_OPTIONS",
            "-Djavax.net.ssl.trustStore="
                + CA_DIR
                + "/truststore.p12 -Djavax.net.ssl.trustStoreType=PKCS12"
                + " -Djavax.net.ssl.trustStorePassword="
                + TRUST_STORE_PASSWORD));
    return env;
  }

  private static List<VolumeMount> appMounts() {
    return List.of(mount(SECRETS_VOLUME, SECRETS_DIR, true), mount(CA_VOLUME, CA_DIR, true));
  }

  private static VolumeMount mount(String volume, String path, boolean readOnly) {
    return new VolumeMountBuilder()
        .withName(volume)
        .withMountPath(path)
        .withReadOnly(readOnly)
        .build();
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static void appendAll(List<JsonNode> ops, JsonNode parent, String field, List<?> items) {
    appendAll(ops, parent, field, items, "/spec");
  }

  /** Adds items at the end of {@code parent.field}, creating the array when absent. */
  private static void appendAll(
      List<JsonNode> ops, JsonNode parent, String field, List<?> items, String base) {
    String path = base + "/" + field;
    if (!parent.has(field) || parent.get(field).isNull()) {
      ops.add(add(path, JsonNodeFactory.instance.arrayNode().addAll(trees(items))));
      return;
    }
    for (Object item : items) {
      ops.add(add(path + "/-", PodInjector.tree(item)));
    }
  }

  /** Puts items first in {@code spec.field}: our init steps run before the pod's own. */
  private static void prependAll(List<JsonNode> ops, JsonNode spec, String field, List<?> items) {
    String path = "/spec/" + field;
    if (!spec.has(field) || spec.get(field).isNull()) {
      ops.add(add(path, JsonNodeFactory.instance.arrayNode().addAll(trees(items))));
      return;
    }
    for (int i = 0; i < items.size(); i++) {
      ops.add(add(path + "/" + i, PodInjector.tree(items.get(i))));
    }
  }

  private static List<JsonNode> trees(List<?> items) {
    return items.stream().map(PodInjector::tree).toList();
  }

  private static ObjectNode add(String path, JsonNode value) {
    ObjectNode op = JsonNodeFactory.instance.objectNode();
    op.put("op", "add");
    op.put("path", path);
    op.set("value", value);
    return op;
  }

  /** JSON Pointer escaping of one path segment (RFC 6901). */
  static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }
}
