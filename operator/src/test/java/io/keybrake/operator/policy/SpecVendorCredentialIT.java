package io.keybrake.operator.policy;

import static io.keybrake.operator.K8sFixtures.PLATFORM;
import static io.keybrake.operator.K8sFixtures.b64;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpecParser;
import io.keybrake.operator.crd.CredentialReference;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.crd.SpendPolicySpec;
import io.keybrake.operator.crd.VendorCredentialSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A VendorCredential for a vendor defined only by a spec (SendGrid, {@code docs/vendors/}): the
 * Secret holds the spec's credential fields by name, checked against the spec's patterns.
 */
@EnableKubernetesMockClient(crud = true)
class SpecVendorCredentialIT {
  KubernetesClient client;

  @AfterEach
  void reset() {
    VendorRegistry.configure(null);
  }

  @Test
  void aSpecVendorsCredentialIsReadFromTheSecretByItsFieldNames() throws Exception {
    loadSendGrid();
    setUp("SG.fake-test-key-not-real");

    Resolution r = new PolicyResolver(client).resolve("team-a", "mail-agents");

    assertThat(r).isInstanceOf(Resolution.Resolved.class);
    ResolvedPolicy p = ((Resolution.Resolved) r).policy();
    assertThat(p.vendor()).isEqualTo("sendgrid");
    assertThat(p.credential())
        .isEqualTo(new VendorCredential.Fields(Map.of("api_key", "SG.fake-test-key-not-real")));
  }

  @Test
  void aValueTheSpecRefusesOrAVendorNoSpecDefinesIsRefusedByName() throws Exception {
    loadSendGrid();
    setUp("not-a-sendgrid-key");
    Resolution badValue = new PolicyResolver(client).resolve("team-a", "mail-agents");
    VendorRegistry.configure(null);
    setUp("SG.fake-test-key-not-real");
    Resolution unknown = new PolicyResolver(client).resolve("team-a", "mail-agents");

    assertThat(badValue)
        .isEqualTo(
            new Resolution.Refused(
                "CredentialInvalid",
                "Secret sendgrid-cred: api_key must be an API key starting \"SG.\""));
    assertThat(((Resolution.Refused) unknown).message())
        .startsWith("unknown vendor sendgrid: not built in, and no vendor spec for it was loaded");
  }

  private static void loadSendGrid() throws Exception {
    Path p = Path.of("..", "docs", "vendors", "sendgrid.yaml");
    try (InputStream in = Files.newInputStream(p)) {
      VendorRegistry.configure(
          VendorRegistry.loadDefault().withSpecs(List.of(VendorSpecParser.parse(in, "sg"))));
    }
  }

  private void setUp(String apiKey) {
    client
        .secrets()
        .inNamespace(PLATFORM)
        .resource(
            new SecretBuilder()
                .withMetadata(
                    new ObjectMetaBuilder()
                        .withName("sendgrid-cred")
                        .withNamespace(PLATFORM)
                        .build())
                .addToData("api_key", b64(apiKey))
                .build())
        .createOr(NonDeletingOperation::update);
    io.keybrake.operator.crd.VendorCredential vc = new io.keybrake.operator.crd.VendorCredential();
    vc.setMetadata(new ObjectMetaBuilder().withName("sendgrid").withNamespace(PLATFORM).build());
    VendorCredentialSpec spec = new VendorCredentialSpec();
    spec.setVendor("sendgrid");
    spec.setSecretName("sendgrid-cred");
    vc.setSpec(spec);
    client
        .resources(io.keybrake.operator.crd.VendorCredential.class)
        .inNamespace(PLATFORM)
        .resource(vc)
        .createOr(NonDeletingOperation::update);
    SpendPolicy sp = new SpendPolicy();
    sp.setMetadata(new ObjectMetaBuilder().withName("mail-agents").withNamespace("team-a").build());
    SpendPolicySpec s = new SpendPolicySpec();
    s.setVendorCredential(new CredentialReference("sendgrid", PLATFORM));
    s.setDailyUsdCap("5.00");
    s.setAllowedPrefixes(List.of("@example.com"));
    sp.setSpec(s);
    client
        .resources(SpendPolicy.class)
        .inNamespace("team-a")
        .resource(sp)
        .createOr(NonDeletingOperation::update);
  }
}
