package io.keybrake.operator.reconcile;

import static io.keybrake.operator.K8sFixtures.PLATFORM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import io.keybrake.core.vendor.VendorSpecParser;
import io.keybrake.operator.crd.KeybrakeStatus;
import io.keybrake.operator.crd.VendorSpecFields;
import io.keybrake.operator.crd.VendorSpecResource;
import io.keybrake.operator.keys.KeyEvents;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.store.EmbeddedStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VendorSpecs against fabric8's mock API server: the valid ones are rendered into the ConfigMap
 * mounted as {@code KEYBRAKE_VENDOR_DIR}, as files Keybrake loads into the same vendor the YAML
 * file gives; an invalid one gets the validator's message in its status and is left out.
 */
@EnableKubernetesMockClient(crud = true)
class VendorSpecReconcileIT {
  static final Path DOCS = Path.of("..", "docs", "vendors");
  static final Path INVALID =
      Path.of("..", "core", "src", "test", "resources", "fixtures", "vendor-specs", "invalid");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  KubernetesClient client;
  @TempDir Path data;
  MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));

  VendorSpecReconciler reconciler() {
    return new VendorSpecReconciler(client, clock, PLATFORM);
  }

  @Test
  void aValidSpecIsRenderedAsTheFileKeybrakeLoadsAndAnInvalidOneGetsTheValidatorsMessage()
      throws Exception {
    create(PLATFORM, "sendgrid", DOCS.resolve("sendgrid.yaml"));
    create(PLATFORM, "vonage", DOCS.resolve("vonage.yaml"));
    Path broken = INVALID.resolve("json-path-on-form-endpoint.yaml");
    create(PLATFORM, "broken", broken);

    reconciler().reconcile();
    reconciler().reconcile(); // idempotent

    Map<String, String> files = configMap().getData();
    assertThat(files).containsOnlyKeys("sendgrid.yaml", "vonage.yaml");
    // what Keybrake loads from the mounted directory is the vendor the docs' file defines
    for (String id : List.of("sendgrid", "vonage")) {
      VendorSpec rendered = parse(files.get(id + ".yaml"), id);
      assertThat(rendered)
          .usingRecursiveComparison()
          .withEqualsForType(
              (a, b) -> a.pattern().equals(b.pattern()), java.util.regex.Pattern.class)
          .isEqualTo(parseFile(DOCS.resolve(id + ".yaml")));
    }
    assertThat(
            VendorRegistry.loadDefault()
                .withSpecs(
                    List.of(
                        parse(files.get("sendgrid.yaml"), "s"),
                        parse(files.get("vonage.yaml"), "v")))
                .ids())
        .contains("twilio", "sendgrid", "vonage");
    assertThat(files.get("sendgrid.yaml"))
        .startsWith("# Rendered by the Keybrake operator from VendorSpec keybrake/sendgrid");

    assertThat(condition("sendgrid", KeybrakeStatus.ACCEPTED).getStatus()).isEqualTo("True");
    assertThat(condition("sendgrid", KeybrakeStatus.READY).getMessage())
        .contains("ConfigMap keybrake-vendors as sendgrid.yaml");
    Condition refused = condition("broken", KeybrakeStatus.ACCEPTED);
    assertThat(refused.getStatus()).isEqualTo("False");
    assertThat(refused.getReason()).isEqualTo("InvalidSpec");
    assertThat(refused.getMessage())
        .startsWith("VendorSpec keybrake/broken: ")
        .contains(expected(broken));
  }

  @Test
  void theShippedExampleVendorSpecIsAcceptedAndIsTheDocsSendGrid() throws Exception {
    VendorSpecResource example =
        YAML.readValue(
            Path.of("..", "k8s", "examples", "vendor-spec.yaml").toFile(),
            VendorSpecResource.class);
    example.getMetadata().setNamespace(PLATFORM);
    client.resources(VendorSpecResource.class).inNamespace(PLATFORM).resource(example).create();

    reconciler().reconcile();

    assertThat(condition("sendgrid", KeybrakeStatus.ACCEPTED).getStatus()).isEqualTo("True");
    assertThat(parse(configMap().getData().get("sendgrid.yaml"), "example"))
        .usingRecursiveComparison()
        .withEqualsForType((a, b) -> a.pattern().equals(b.pattern()), java.util.regex.Pattern.class)
        .isEqualTo(parseFile(DOCS.resolve("sendgrid.yaml")));
  }

  @Test
  void everyInvalidSpecFixtureIsRefusedWithItsMessageAndNeverRendered() throws Exception {
    List<Path> fixtures;
    try (var list = Files.list(INVALID)) {
      fixtures = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    int created = 0;
    for (Path f : fixtures) {
      if (create(PLATFORM, "bad-" + created, f)) {
        created++;
      }
    }

    reconciler().reconcile();

    assertThat(created).isGreaterThanOrEqualTo(10);
    assertThat(configMap().getData()).isNullOrEmpty();
    for (int i = 0; i < created; i++) {
      assertThat(condition("bad-" + i, KeybrakeStatus.ACCEPTED).getStatus()).isEqualTo("False");
    }
  }

  @Test
  void aSpecOutsideThePlatformNamespaceOrForAVendorAlreadyDefinedIsRefused() throws Exception {
    create(PLATFORM, "sendgrid", DOCS.resolve("sendgrid.yaml"));
    clock.advance(Duration.ofSeconds(1));
    create(PLATFORM, "sendgrid-again", DOCS.resolve("sendgrid.yaml"));
    create("team-a", "vonage", DOCS.resolve("vonage.yaml"));

    reconciler().reconcile();

    assertThat(configMap().getData()).containsOnlyKeys("sendgrid.yaml");
    Condition wrongNamespace = condition("team-a", "vonage", KeybrakeStatus.ACCEPTED);
    assertThat(wrongNamespace.getReason()).isEqualTo("WrongNamespace");
    assertThat(wrongNamespace.getMessage()).contains("namespace " + PLATFORM);
    List<Condition> duplicates =
        List.of(
            condition("sendgrid", KeybrakeStatus.ACCEPTED),
            condition("sendgrid-again", KeybrakeStatus.ACCEPTED));
    assertThat(duplicates).extracting(Condition::getStatus).containsOnlyOnce("False");
    assertThat(duplicates)
        .filteredOn(c -> c.getStatus().equals("False"))
        .singleElement()
        .satisfies(c -> assertThat(c.getMessage()).contains("vendor sendgrid is already defined"));
  }

  @Test
  void theOperatorRendersAVendorSpecWhenItIsCreatedAndDropsItWhenItIsDeleted(@TempDir Path storeDir)
      throws Exception {
    try (EmbeddedStore store = EmbeddedStore.open(storeDir, Optional.empty(), clock);
        KeybrakeOperator operator =
            new KeybrakeOperator(
                    client,
                    new VaultKeyReconciler(
                        client,
                        new PolicyResolver(client),
                        new KeyIssuer(store.keyStore(), clock, KeyEvents.NONE),
                        store.ledger()),
                    new SpendBudgetReconciler(
                        client, store.budgetStore(), store.ledger(), clock, PLATFORM),
                    Duration.ofMinutes(10))
                .renderVendorSpecs(reconciler())
                .start()) {
      create(PLATFORM, "sendgrid", DOCS.resolve("sendgrid.yaml"));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  configMap() != null
                      && configMap().getData() != null
                      && configMap().getData().containsKey("sendgrid.yaml"));

      client
          .resources(VendorSpecResource.class)
          .inNamespace(PLATFORM)
          .withName("sendgrid")
          .delete();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> configMap().getData() == null || configMap().getData().isEmpty());
    }
  }

  // --- helpers

  /** A VendorSpec whose spec is the vendor YAML file's fields; false if the file has no id. */
  private boolean create(String namespace, String name, Path yamlFile) throws Exception {
    Map<?, ?> fields = YAML.readValue(yamlFile.toFile(), Map.class);
    if (!(fields.get("id") instanceof String) || !(fields.get("upstream") instanceof String)) {
      return false; // the CRD's schema refuses it before the operator sees it
    }
    VendorSpecResource r = new VendorSpecResource();
    r.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(namespace)
            .withCreationTimestamp(clock.instant().toString())
            .build());
    r.setSpec(YAML.convertValue(fields, VendorSpecFields.class));
    client.resources(VendorSpecResource.class).inNamespace(namespace).resource(r).create();
    return true;
  }

  private ConfigMap configMap() {
    return client
        .configMaps()
        .inNamespace(PLATFORM)
        .withName(VendorSpecReconciler.CONFIG_MAP)
        .get();
  }

  private Condition condition(String name, String type) {
    return condition(PLATFORM, name, type);
  }

  private Condition condition(String namespace, String name, String type) {
    VendorSpecResource r =
        client.resources(VendorSpecResource.class).inNamespace(namespace).withName(name).get();
    assertThat(r.getStatus()).as("status of %s/%s", namespace, name).isNotNull();
    return r.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  private static String expected(Path fixture) throws Exception {
    String first = Files.readAllLines(fixture, StandardCharsets.UTF_8).get(0);
    return first.substring("# expect: ".length()).trim();
  }

  private static VendorSpec parse(String yaml, String source) {
    return VendorSpecParser.parse(
        new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), source);
  }

  private static VendorSpec parseFile(Path p) throws Exception {
    try (InputStream in = Files.newInputStream(p)) {
      return VendorSpecParser.parse(in, p.toString());
    }
  }
}
