package io.keybrake.operator.reconcile;

import static io.keybrake.operator.K8sFixtures.PLATFORM;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.operator.crd.KeybrakeStatus;
import io.keybrake.operator.crd.VendorSpecFields;
import io.keybrake.operator.crd.VendorSpecResource;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A changed set of VendorSpecs rolls the Deployments of {@code k8s/base} that mount the vendor
 * ConfigMap, through the pod-template annotation {@value VendorSpecRollout#ANNOTATION}; the same
 * specs reconciled again, by this operator or a restarted one, roll nothing.
 */
@EnableKubernetesMockClient(crud = true)
class VendorSpecRolloutIT {
  static final Path DOCS = Path.of("..", "docs", "vendors");
  static final Path BASE = Path.of("..", "k8s", "base");
  static final Path INVALID =
      Path.of("..", "core", "src", "test", "resources", "fixtures", "vendor-specs", "invalid");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final List<String> DEPLOYMENTS = List.of("keybrake-control-plane", "keybrake-ext-proc");

  KubernetesClient client;
  MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));

  VendorSpecReconciler reconciler() {
    return new VendorSpecReconciler(client, clock, PLATFORM);
  }

  @Test
  void creatingChangingAndDeletingVendorSpecsRollsTheDeploymentsAndNothingElseDoes()
      throws Exception {
    deployFromManifests("control-plane.yaml", "ext-proc.yaml");

    // a fresh install without a VendorSpec does not restart itself
    reconciler().reconcile();
    for (String d : DEPLOYMENTS) {
      assertThat(annotation(d)).as(d).isNull();
    }

    create("sendgrid", DOCS.resolve("sendgrid.yaml"));
    reconciler().reconcile();
    String withSendGrid = annotation("keybrake-control-plane");
    assertThat(withSendGrid)
        .isEqualTo(VendorSpecRollout.digest(configMap().getData()))
        .matches("[0-9a-f]{64}");
    assertThat(annotation("keybrake-ext-proc")).isEqualTo(withSendGrid);

    // the same specs again, by this operator and by a restarted one: the Deployments are not
    // touched
    Map<String, String> versions = resourceVersions();
    reconciler().reconcile();
    reconciler().reconcile();
    assertThat(resourceVersions()).isEqualTo(versions);
    assertThat(annotation("keybrake-ext-proc")).isEqualTo(withSendGrid);

    // an invalid spec is not rendered, so it rolls nothing
    clock.advance(Duration.ofSeconds(1));
    create("broken", INVALID.resolve("json-path-on-form-endpoint.yaml"));
    reconciler().reconcile();
    assertThat(statusOf("broken")).isEqualTo("False");
    assertThat(resourceVersions()).isEqualTo(versions);

    // a changed spec rolls both
    VendorSpecResource sendgrid =
        client.resources(VendorSpecResource.class).inNamespace(PLATFORM).withName("sendgrid").get();
    sendgrid.getSpec().setUpstream("https://api.eu.sendgrid.com");
    client.resources(VendorSpecResource.class).inNamespace(PLATFORM).resource(sendgrid).update();
    reconciler().reconcile();
    assertThat(configMap().getData().get("sendgrid.yaml")).contains("api.eu.sendgrid.com");
    String changed = annotation("keybrake-control-plane");
    assertThat(changed)
        .isNotEqualTo(withSendGrid)
        .isEqualTo(VendorSpecRollout.digest(configMap().getData()));
    assertThat(annotation("keybrake-ext-proc")).isEqualTo(changed);

    // a second vendor rolls both again
    create("vonage", DOCS.resolve("vonage.yaml"));
    reconciler().reconcile();
    String twoVendors = annotation("keybrake-ext-proc");
    assertThat(twoVendors).isNotIn(withSendGrid, changed);
    assertThat(annotation("keybrake-control-plane")).isEqualTo(twoVendors);

    // deleting every VendorSpec rolls the pods that still hold them
    client.resources(VendorSpecResource.class).inNamespace(PLATFORM).delete();
    reconciler().reconcile();
    assertThat(configMap().getData()).isNullOrEmpty();
    for (String d : DEPLOYMENTS) {
      assertThat(annotation(d)).as(d).isEqualTo(VendorSpecRollout.digest(Map.of()));
    }
  }

  @Test
  void aMissingDeploymentIsSkippedAndTheOtherIsStillRolled() throws Exception {
    deployFromManifests("ext-proc.yaml");
    create("sendgrid", DOCS.resolve("sendgrid.yaml"));

    reconciler().reconcile();

    assertThat(
            client
                .apps()
                .deployments()
                .inNamespace(PLATFORM)
                .withName("keybrake-control-plane")
                .get())
        .isNull();
    assertThat(annotation("keybrake-ext-proc"))
        .isEqualTo(VendorSpecRollout.digest(configMap().getData()));
    assertThat(statusOf("sendgrid")).isEqualTo("True");
  }

  // --- helpers

  /** The Deployments of the named k8s/base manifests, as kustomize puts them in the namespace. */
  private void deployFromManifests(String... files) throws Exception {
    for (String f : files) {
      try (InputStream in = Files.newInputStream(BASE.resolve(f))) {
        for (HasMetadata o : client.load(in).items()) {
          if (o instanceof Deployment d) {
            d.getMetadata().setNamespace(PLATFORM);
            client.apps().deployments().inNamespace(PLATFORM).resource(d).create();
          }
        }
      }
    }
  }

  private String annotation(String deployment) {
    Deployment d = client.apps().deployments().inNamespace(PLATFORM).withName(deployment).get();
    Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(VendorSpecRollout.ANNOTATION);
  }

  private Map<String, String> resourceVersions() {
    return Map.of(
        "keybrake-control-plane", version("keybrake-control-plane"),
        "keybrake-ext-proc", version("keybrake-ext-proc"));
  }

  private String version(String deployment) {
    return client
        .apps()
        .deployments()
        .inNamespace(PLATFORM)
        .withName(deployment)
        .get()
        .getMetadata()
        .getResourceVersion();
  }

  private void create(String name, Path yamlFile) throws Exception {
    VendorSpecResource r = new VendorSpecResource();
    r.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(PLATFORM)
            .withCreationTimestamp(clock.instant().toString())
            .build());
    r.setSpec(
        YAML.convertValue(YAML.readValue(yamlFile.toFile(), Map.class), VendorSpecFields.class));
    client.resources(VendorSpecResource.class).inNamespace(PLATFORM).resource(r).create();
  }

  private ConfigMap configMap() {
    return client
        .configMaps()
        .inNamespace(PLATFORM)
        .withName(VendorSpecReconciler.CONFIG_MAP)
        .get();
  }

  private String statusOf(String name) {
    return client
        .resources(VendorSpecResource.class)
        .inNamespace(PLATFORM)
        .withName(name)
        .get()
        .getStatus()
        .getConditions()
        .stream()
        .filter(c -> c.getType().equals(KeybrakeStatus.ACCEPTED))
        .findFirst()
        .orElseThrow()
        .getStatus();
  }
}
