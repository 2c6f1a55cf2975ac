package io.keybrake.operator.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keybrake.operator.admission.AdmissionHandler;
import io.keybrake.operator.admission.SidecarSettings;
import io.keybrake.operator.reconcile.VendorSpecReconciler;
import io.keybrake.operator.reconcile.VendorSpecRollout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kustomization under {@code k8s/} renders with {@code kubectl kustomize} and parses into
 * fabric8's models; the install says what the code expects (paths, ports, names); every example
 * custom resource validates against its CRD's schema and every negative fixture is refused.
 */
class K8sManifestsTest {
  static final Path K8S = Path.of("..", "k8s");
  static final KubernetesSerialization MODELS = new KubernetesSerialization();

  @ParameterizedTest
  @ValueSource(
      strings = {
        "crds",
        "base",
        "overlays/single-namespace",
        "overlays/egress-gateway",
        "agent-namespace",
        "examples"
      })
  void everyKustomizationRendersIntoKubernetesObjects(String dir) throws Exception {
    List<HasMetadata> objects = render(dir);
    assertThat(objects).isNotEmpty();
    for (HasMetadata o : objects) {
      assertThat(o.getKind()).as("kind in %s", dir).isNotBlank();
      assertThat(o.getMetadata().getName()).as("name of a %s in %s", o.getKind(), dir).isNotBlank();
    }
  }

  @Test
  void theBaseRunsTwoControlPlanesTellingEnvoyTheExtProcService() throws Exception {
    List<HasMetadata> base = render("base");
    Deployment cp = one(base, Deployment.class, "keybrake-control-plane");
    assertThat(cp.getSpec().getReplicas()).isEqualTo(2);
    List<EnvVar> env = cp.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    assertThat(env)
        .extracting(EnvVar::getName)
        .contains(
            "KEYBRAKE_XDS_EXTPROC_HOST",
            "KEYBRAKE_XDS_LISTENER_PORT",
            "KEYBRAKE_XDS_MESSAGE_TIMEOUT_MS",
            "KEYBRAKE_XDS_CA_FILE",
            "KEYBRAKE_REDIS_URL",
            "KEYBRAKE_POSTGRES_URL");
    assertThat(env.stream().filter(e -> e.getName().equals("KEYBRAKE_XDS_EXTPROC_HOST")))
        .extracting(EnvVar::getValue)
        .containsExactly("keybrake-ext-proc.keybrake.svc");
    // Kubernetes mode on, the webhook port the Service and the webhook configuration use
    assertThat(env.stream().filter(e -> e.getName().equals("KEYBRAKE_KUBERNETES")))
        .extracting(EnvVar::getValue)
        .containsExactly("true");
    assertThat(env.stream().filter(e -> e.getName().equals("KEYBRAKE_K8S_HTTPS_PORT")))
        .extracting(EnvVar::getValue)
        .containsExactly("8443");
    assertThat(env)
        .extracting(EnvVar::getName)
        .contains(
            "KEYBRAKE_K8S_NAMESPACE",
            "KEYBRAKE_K8S_POD_NAME",
            "KEYBRAKE_K8S_TLS_KEYSTORE",
            "KEYBRAKE_K8S_TLS_KEYSTORE_PASSWORD");
    assertThat(cp.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("webhook");
              assertThat(p.getContainerPort()).isEqualTo(8443);
            });
    assertThat(one(base, Deployment.class, "keybrake-ext-proc")).isNotNull();
    assertThat(kinds(base))
        .contains(
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "ServiceMonitor",
            "Certificate",
            "Role",
            "CustomResourceDefinition");

    MutatingWebhookConfiguration hook =
        one(base, MutatingWebhookConfiguration.class, "keybrake-sidecar-injector");
    var clientConfig = hook.getWebhooks().get(0).getClientConfig().getService();
    assertThat(clientConfig.getPath()).isEqualTo(AdmissionHandler.PATH);
    assertThat(clientConfig.getPort()).isEqualTo(8443);
    assertThat(hook.getWebhooks().get(0).getFailurePolicy()).isEqualTo("Fail");
    assertThat(hook.getWebhooks().get(0).getSideEffects()).isEqualTo("None");
    assertThat(SidecarSettings.defaults(SidecarSettings.Mode.REDIRECT).tokenExchangeUrl())
        .startsWith(
            "https://" + clientConfig.getName() + "." + clientConfig.getNamespace() + ".svc:8443/");
  }

  @Test
  void theControlPlaneRoleGrantsNoWildcardsAndCannotListOrDeleteSecrets() throws Exception {
    ClusterRole role = one(render("base"), ClusterRole.class, "keybrake-control-plane");
    role.getRules()
        .forEach(
            r -> {
              assertThat(r.getVerbs()).doesNotContain("*", "delete", "deletecollection");
              assertThat(r.getResources()).doesNotContain("*");
              if (r.getResources().contains("secrets")) {
                assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "create", "update");
              }
            });
  }

  @Test
  void theOperatorMayReadAndPatchOnlyTheDeploymentsThatMountTheVendorSpecs() throws Exception {
    List<HasMetadata> base = render("base");
    List<String> mounting =
        base.stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .filter(
                d ->
                    d.getSpec().getTemplate().getSpec().getVolumes().stream()
                        .anyMatch(
                            v ->
                                v.getConfigMap() != null
                                    && VendorSpecReconciler.CONFIG_MAP.equals(
                                        v.getConfigMap().getName())))
            .map(d -> d.getMetadata().getName())
            .toList();
    assertThat(VendorSpecRollout.DEPLOYMENTS).containsExactlyInAnyOrderElementsOf(mounting);

    List<PolicyRule> onDeployments =
        base.stream()
            .filter(o -> o instanceof Role || o instanceof ClusterRole)
            .flatMap(
                o -> (o instanceof Role r ? r.getRules() : ((ClusterRole) o).getRules()).stream())
            .filter(r -> r.getResources().contains("deployments"))
            .toList();
    assertThat(onDeployments)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getApiGroups()).containsExactly("apps");
              assertThat(r.getResources()).containsExactly("deployments");
              assertThat(r.getResourceNames())
                  .containsExactlyInAnyOrderElementsOf(VendorSpecRollout.DEPLOYMENTS);
              assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "patch");
            });
    Role role = one(base, Role.class, "keybrake-vendor-specs");
    assertThat(role.getRules()).contains(onDeployments.get(0));
  }

  @Test
  void overlaysChangeWhatTheyPromise() throws Exception {
    MutatingWebhookConfiguration single =
        one(
            render("overlays/single-namespace"),
            MutatingWebhookConfiguration.class,
            "keybrake-sidecar-injector");
    assertThat(single.getWebhooks().get(0).getNamespaceSelector().getMatchLabels())
        .containsEntry("kubernetes.io/metadata.name", "keybrake");

    List<HasMetadata> gateway = render("overlays/egress-gateway");
    assertThat(kinds(gateway)).doesNotContain("MutatingWebhookConfiguration");
    assertThat(one(gateway, Deployment.class, "keybrake-egress")).isNotNull();
    assertThat(names(gateway, "NetworkPolicy")).contains("keybrake-egress-gateway");
  }

  @Test
  void agentNamespacesGetTheBootstrapTheWebhookMountsAndAnEgressPolicy() throws Exception {
    List<HasMetadata> ns = render("agent-namespace");
    ConfigMap bootstrap =
        one(
            ns,
            ConfigMap.class,
            SidecarSettings.defaults(SidecarSettings.Mode.REDIRECT).envoyBootstrapConfigMap());
    assertThat(bootstrap.getData().get("bootstrap.yaml"))
        .contains("keybrake-control-plane.keybrake.svc");
    assertThat(names(ns, "NetworkPolicy")).containsExactly("keybrake-agent-egress");
  }

  @Test
  void everyExampleCustomResourceValidatesAgainstItsCrd() throws Exception {
    CrdSchemas schemas = new CrdSchemas(K8S.resolve("crds"));
    int checked = 0;
    for (String doc : Kustomize.render(K8S.resolve("examples"))) {
      JsonNode resource = CrdSchemas.YAML.readTree(doc);
      if (schemas.knows(resource.path("kind").asText())) {
        assertThat(schemas.errors(resource)).as(resource.path("kind").asText()).isEmpty();
        checked++;
      }
    }
    assertThat(checked).isEqualTo(5);
  }

  @Test
  void everyNegativeFixtureIsRefusedByTheSchema() throws Exception {
    CrdSchemas schemas = new CrdSchemas(K8S.resolve("crds"));
    List<Path> fixtures;
    try (Stream<Path> files = Files.list(K8S.resolve("examples/invalid"))) {
      fixtures = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(fixtures).hasSizeGreaterThanOrEqualTo(5);
    for (Path f : fixtures) {
      List<String> errors = schemas.errors(CrdSchemas.YAML.readTree(f.toFile()));
      assertThat(errors).as("%s must be refused", f.getFileName()).isNotEmpty();
    }
    assertThat(
            schemas.errors(
                CrdSchemas.YAML.readTree(
                    K8S.resolve("examples/invalid/country-not-alpha-2.yaml").toFile())))
        .anySatisfy(e -> assertThat(e).contains("allowedCountries"));
  }

  /** Negative fixtures only a CEL rule refuses: OpenAPI accepts them. */
  static final Map<String, String> CEL_ONLY =
      Map.of(
          "total-cap-below-daily-cap.yaml", "totalUsdCap must be at least dailyUsdCap",
          "max-call-above-daily-cap.yaml", "maxCallUsd must be at most dailyUsdCap",
          "budget-without-cap.yaml", "a budget needs dailyUsdCap or monthlyUsdCap",
          "budget-selector-both.yaml", "a selector names labels or a vendor, exactly one",
          "zero-daily-cap.yaml", "dailyUsdCap must be greater than 0");

  @Test
  void celRulesRefuseWhatTheOpenApiSchemaAccepts() throws Exception {
    CrdSchemas schemas = new CrdSchemas(K8S.resolve("crds"));
    assertThat(schemas.celRuleCount("SpendPolicy")).isGreaterThanOrEqualTo(5);
    assertThat(schemas.celRuleCount("SpendBudget")).isGreaterThanOrEqualTo(5);
    for (Map.Entry<String, String> e : CEL_ONLY.entrySet()) {
      JsonNode fixture =
          CrdSchemas.YAML.readTree(K8S.resolve("examples/invalid").resolve(e.getKey()).toFile());
      assertThat(schemas.openApiErrors(fixture)).as(e.getKey()).isEmpty();
      assertThat(schemas.celErrors(fixture))
          .as(e.getKey())
          .singleElement()
          .asString()
          .endsWith(e.getValue());
    }
  }

  @Test
  void aSpendBudgetCannotBeEditedButCanBeReappliedUnchanged() throws Exception {
    CrdSchemas schemas = new CrdSchemas(K8S.resolve("crds"));
    JsonNode budget = CrdSchemas.YAML.readTree(K8S.resolve("examples/spend-budget.yaml").toFile());
    assertThat(schemas.updateErrors(budget, budget.deepCopy())).isEmpty();
    com.fasterxml.jackson.databind.node.ObjectNode raised = budget.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) raised.get("spec"))
        .put("dailyUsdCap", "500.00");
    assertThat(schemas.updateErrors(budget, raised))
        .singleElement()
        .asString()
        .contains("a SpendBudget cannot change");
    // on create there is no old object: the transition rule does not apply
    assertThat(schemas.errors(raised)).isEmpty();
  }

  static List<HasMetadata> render(String dir) throws IOException, InterruptedException {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : Kustomize.render(K8S.resolve(dir))) {
      Object parsed = MODELS.unmarshal(doc);
      assertThat(parsed).as("a document of %s", dir).isInstanceOf(HasMetadata.class);
      out.add((HasMetadata) parsed);
    }
    return out;
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
    List<T> found =
        objects.stream()
            .filter(type::isInstance)
            .map(type::cast)
            .filter(o -> o.getMetadata().getName().equals(name))
            .toList();
    assertThat(found).as("%s %s", type.getSimpleName(), name).hasSize(1);
    return found.get(0);
  }

  static List<String> kinds(List<HasMetadata> objects) {
    return objects.stream().map(HasMetadata::getKind).toList();
  }

  static List<String> names(List<HasMetadata> objects, String kind) {
    return objects.stream()
        .filter(o -> o.getKind().equals(kind))
        .map(o -> o.getMetadata().getName())
        .toList();
  }
}
