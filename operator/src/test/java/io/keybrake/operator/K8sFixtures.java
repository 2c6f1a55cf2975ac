package io.keybrake.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.keybrake.operator.crd.CredentialReference;
import io.keybrake.operator.crd.Injection;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.crd.SpendPolicySpec;
import io.keybrake.operator.crd.VendorCredential;
import io.keybrake.operator.crd.VendorCredentialSpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Objects the operator tests create in the mock API server. */
public final class K8sFixtures {
  public static final String PLATFORM = "keybrake";
  public static final String TWILIO_SID = "AC0123456789abcdef0123456789abcdef";
  public static final String TWILIO_TOKEN = "real-twilio-token-0123456789";

  private K8sFixtures() {}

  /** The platform team's Twilio credential: a Secret and a VendorCredential {@code twilio}. */
  public static void twilioCredential(KubernetesClient client) {
    Secret secret =
        new SecretBuilder()
            .withMetadata(
                new ObjectMetaBuilder().withName("twilio-cred").withNamespace(PLATFORM).build())
            .addToData("account_sid", b64(TWILIO_SID))
            .addToData("auth_token", b64(TWILIO_TOKEN))
            .build();
    client.secrets().inNamespace(PLATFORM).resource(secret).createOr(NonDeletingOperation::update);
    VendorCredential vc = new VendorCredential();
    vc.setMetadata(new ObjectMetaBuilder().withName("twilio").withNamespace(PLATFORM).build());
    VendorCredentialSpec spec = new VendorCredentialSpec();
    spec.setVendor("twilio");
    spec.setSecretName("twilio-cred");
    vc.setSpec(spec);
    client
        .resources(VendorCredential.class)
        .inNamespace(PLATFORM)
        .resource(vc)
        .createOr(NonDeletingOperation::update);
  }

  /** A Twilio SpendPolicy in {@code namespace} with a daily cap, US only. */
  public static SpendPolicy policy(
      KubernetesClient client, String namespace, String name, String dailyUsdCap) {
    SpendPolicy p = new SpendPolicy();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    SpendPolicySpec spec = new SpendPolicySpec();
    spec.setVendorCredential(new CredentialReference("twilio", PLATFORM));
    spec.setDailyUsdCap(dailyUsdCap);
    spec.setAllowedCountries(List.of("US"));
    spec.setExpiresIn("8h");
    spec.setLabels(Map.of("team", namespace));
    Injection injection = new Injection();
    injection.setEnvVar("TWILIO_AUTH_TOKEN");
    spec.setInjection(injection);
    p.setSpec(spec);
    return client
        .resources(SpendPolicy.class)
        .inNamespace(namespace)
        .resource(p)
        .createOr(NonDeletingOperation::update);
  }

  public static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  public static String unb64(String s) {
    return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
  }
}
