package io.keybrake.operator.reconcile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.core.vendor.VendorSpecParser;
import io.keybrake.operator.crd.KeybrakeStatus;
import io.keybrake.operator.crd.VendorSpecFields;
import io.keybrake.operator.crd.VendorSpecResource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders every {@link VendorSpecResource} into the ConfigMap {@value #CONFIG_MAP} that the
 * Keybrake deployments mount as {@code KEYBRAKE_VENDOR_DIR} (one {@code <id>.yaml} per vendor),
 * checking each with {@link VendorSpecParser}, the validator Keybrake itself runs at start. A spec
 * that does not load gets {@code Accepted=False} with the validator's message and is left out, so
 * it can never stop Keybrake from starting; so is one outside the platform namespace (vendors are
 * platform-wide) and one whose vendor id an older VendorSpec already defines. Keybrake reads the
 * directory when its pods start, so when the rendered data changes {@link VendorSpecRollout} rolls
 * the Deployments that mount it. Safe to call from one thread at a time.
 */
public final class VendorSpecReconciler {
  /** The ConfigMap the operator owns, mounted as {@code KEYBRAKE_VENDOR_DIR}. */
  public static final String CONFIG_MAP = "keybrake-vendors";

  private static final Logger LOG = LoggerFactory.getLogger(VendorSpecReconciler.class);
  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

  private final KubernetesClient client;
  private final Clock clock;
  private final String platformNamespace;
  private final VendorSpecRollout rollout;

  public VendorSpecReconciler(KubernetesClient client, Clock clock, String platformNamespace) {
    this.client = Objects.requireNonNull(client);
    this.clock = Objects.requireNonNull(clock);
    this.platformNamespace = Objects.requireNonNull(platformNamespace);
    this.rollout = new VendorSpecRollout(client, platformNamespace, VendorSpecRollout.DEPLOYMENTS);
  }

  /** What became of one VendorSpec. */
  private record Outcome(boolean accepted, String reason, String message) {}

  /**
   * Renders every VendorSpec into the ConfigMap, tells each one what became of it, then rolls the
   * Deployments whose pods loaded other vendor specs.
   */
  public void reconcile() {
    List<VendorSpecResource> all =
        client.resources(VendorSpecResource.class).inAnyNamespace().list().getItems().stream()
            .sorted(
                Comparator.comparing(
                        (VendorSpecResource r) ->
                            Objects.toString(r.getMetadata().getCreationTimestamp(), ""))
                    .thenComparing(VendorSpecReconciler::name))
            .toList();
    Map<String, String> data = new TreeMap<>();
    Map<String, String> definedBy = new HashMap<>();
    List<Outcome> outcomes = new java.util.ArrayList<>();
    for (VendorSpecResource r : all) {
      outcomes.add(render(r, data, definedBy));
    }
    writeConfigMap(data);
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    for (int i = 0; i < all.size(); i++) {
      writeStatus(all.get(i), outcomes.get(i), now);
    }
    rollout.apply(data);
  }

  private Outcome render(
      VendorSpecResource r, Map<String, String> data, Map<String, String> definedBy) {
    if (!platformNamespace.equals(r.getMetadata().getNamespace())) {
      return refused(
          "WrongNamespace",
          "a vendor is platform-wide: create its VendorSpec in namespace " + platformNamespace);
    }
    VendorSpecFields fields = r.getSpec();
    if (fields == null) {
      return refused("InvalidSpec", "spec is required: the fields of a vendor spec file");
    }
    String yaml;
    try {
      yaml =
          "# Rendered by the Keybrake operator from VendorSpec "
              + name(r)
              + "; edit that, not this.\n"
              + YAML.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      return refused("InvalidSpec", "spec cannot be written as YAML: " + e.getOriginalMessage());
    }
    VendorSpec spec;
    try {
      spec =
          VendorSpecParser.parse(
              new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)),
              "VendorSpec " + name(r));
    } catch (IllegalArgumentException e) {
      return refused("InvalidSpec", e.getMessage());
    }
    String owner = definedBy.putIfAbsent(spec.id(), name(r));
    if (owner != null) {
      return refused(
          "DuplicateVendor", "vendor " + spec.id() + " is already defined by VendorSpec " + owner);
    }
    data.put(spec.id() + ".yaml", yaml);
    return new Outcome(
        true,
        "Valid",
        "vendor "
            + spec.id()
            + " ("
            + spec.endpoints().size()
            + (spec.endpoints().size() == 1 ? " endpoint" : " endpoints")
            + ") is in ConfigMap "
            + CONFIG_MAP
            + " as "
            + spec.id()
            + ".yaml; the Keybrake pods are replaced to load it");
  }

  private static Outcome refused(String reason, String message) {
    return new Outcome(false, reason, message);
  }

  private void writeConfigMap(Map<String, String> data) {
    ConfigMap current =
        client.configMaps().inNamespace(platformNamespace).withName(CONFIG_MAP).get();
    if (current != null && data.equals(new TreeMap<>(orEmpty(current.getData())))) {
      return;
    }
    ConfigMap wanted =
        new ConfigMapBuilder()
            .withMetadata(
                new ObjectMetaBuilder()
                    .withName(CONFIG_MAP)
                    .withNamespace(platformNamespace)
                    .addToLabels("app.kubernetes.io/managed-by", "keybrake-operator")
                    .addToLabels("app.kubernetes.io/part-of", "keybrake")
                    .build())
            .withData(data)
            .build();
    if (current == null) {
      client.configMaps().inNamespace(platformNamespace).resource(wanted).create();
    } else {
      client
          .configMaps()
          .inNamespace(platformNamespace)
          .withName(CONFIG_MAP)
          .edit(cm -> new ConfigMapBuilder(cm).withData(data).build());
    }
    LOG.info(
        "k8s: ConfigMap {}/{} holds vendor specs {}; Keybrake loads them when its pods start",
        platformNamespace,
        CONFIG_MAP,
        data.keySet());
  }

  private static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private void writeStatus(VendorSpecResource r, Outcome o, Instant now) {
    long generation = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
    KeybrakeStatus status =
        r.getStatus() == null
            ? new KeybrakeStatus()
            : StatusJson.copy(r.getStatus(), KeybrakeStatus.class);
    Conditions.set(
        status, KeybrakeStatus.ACCEPTED, o.accepted(), o.reason(), o.message(), generation, now);
    Conditions.set(
        status,
        KeybrakeStatus.READY,
        o.accepted(),
        o.accepted() ? "Rendered" : o.reason(),
        o.message(),
        generation,
        now);
    if (StatusJson.same(r.getStatus(), status)) {
      return;
    }
    r.setStatus(status);
    r.getMetadata().setResourceVersion(null); // the status is ours alone: no optimistic lock
    client
        .resources(VendorSpecResource.class)
        .inNamespace(r.getMetadata().getNamespace())
        .resource(r)
        .patchStatus();
  }

  private static String name(VendorSpecResource r) {
    return r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }
}
