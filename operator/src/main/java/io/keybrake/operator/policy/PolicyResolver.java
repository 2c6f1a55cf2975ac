package io.keybrake.operator.policy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.PolicyParser;
import io.keybrake.operator.crd.CredentialReference;
import io.keybrake.operator.crd.Injection;
import io.keybrake.operator.crd.SpendPolicy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Reads a {@code SpendPolicy}, its {@code VendorCredential} and the credential's Secret from the
 * API server and turns them into a {@link ResolvedPolicy}, or says why it cannot. Thread-safe.
 */
public final class PolicyResolver {
  /** Label every key issued from Kubernetes carries: the namespace of its policy. */
  public static final String NAMESPACE_LABEL = "keybrake.dev/namespace";

  /** Label every key issued from Kubernetes carries: the name of its policy. */
  public static final String POLICY_LABEL = "keybrake.dev/policy";

  private final KubernetesClient client;

  public PolicyResolver(KubernetesClient client) {
    this.client = Objects.requireNonNull(client);
  }

  /** The policy {@code namespace/name}, checked, with its credential. */
  public Resolution resolve(String namespace, String name) {
    SpendPolicy sp =
        client.resources(SpendPolicy.class).inNamespace(namespace).withName(name).get();
    if (sp == null || sp.getSpec() == null) {
      return new Resolution.Refused(
          "PolicyNotFound", "SpendPolicy " + namespace + "/" + name + " does not exist");
    }
    return resolve(sp);
  }

  /** {@code sp}, checked, with its credential. */
  public Resolution resolve(SpendPolicy sp) {
    String namespace = sp.getMetadata().getNamespace();
    PolicyParser.Parsed parsed = PolicyTranslation.parse(sp.getSpec());
    if (parsed instanceof PolicyParser.Parsed.Invalid bad) {
      return new Resolution.Refused("InvalidPolicy", bad.message());
    }
    CredentialReference ref = sp.getSpec().getVendorCredential();
    if (ref == null || ref.getName() == null) {
      return new Resolution.Refused("InvalidPolicy", "vendorCredential.name is required");
    }
    String credNamespace = ref.getNamespace() == null ? namespace : ref.getNamespace();
    io.keybrake.operator.crd.VendorCredential vc =
        client
            .resources(io.keybrake.operator.crd.VendorCredential.class)
            .inNamespace(credNamespace)
            .withName(ref.getName())
            .get();
    if (vc == null || vc.getSpec() == null) {
      return new Resolution.Refused(
          "CredentialNotFound",
          "VendorCredential " + credNamespace + "/" + ref.getName() + " does not exist");
    }
    String vendor = vc.getSpec().getVendor();
    Secret secret =
        client.secrets().inNamespace(credNamespace).withName(vc.getSpec().getSecretName()).get();
    if (secret == null) {
      return new Resolution.Refused(
          "CredentialNotFound",
          "Secret " + credNamespace + "/" + vc.getSpec().getSecretName() + " does not exist");
    }
    VendorCredential credential;
    try {
      credential = credential(vendor, secret);
    } catch (IllegalArgumentException e) {
      return new Resolution.Refused("CredentialInvalid", e.getMessage());
    }
    Map<String, String> labels = new TreeMap<>();
    if (sp.getSpec().getLabels() != null) {
      labels.putAll(sp.getSpec().getLabels());
    }
    labels.put(NAMESPACE_LABEL, namespace);
    labels.put(POLICY_LABEL, sp.getMetadata().getName());
    Injection injection =
        sp.getSpec().getInjection() == null ? new Injection() : sp.getSpec().getInjection();
    var policy = ((PolicyParser.Parsed.Ok) parsed).policy();
    String digest =
        sha256(
            vendor,
            PolicyParser.toJson(policy).toString(),
            labels.toString(),
            credentialFingerprint(credential));
    Long generation = sp.getMetadata().getGeneration();
    return new Resolution.Resolved(
        new ResolvedPolicy(
            namespace,
            sp.getMetadata().getName(),
            generation == null ? 0 : generation,
            vendor,
            policy,
            credential,
            labels,
            injection,
            digest));
  }

  static VendorCredential credential(String vendor, Secret secret) {
    return switch (vendor) {
      case "twilio" ->
          new VendorCredential.Twilio(value(secret, "account_sid"), value(secret, "auth_token"));
      case "stripe" -> new VendorCredential.ApiKey(value(secret, "secret_key"));
      case "resend" -> new VendorCredential.ApiKey(value(secret, "api_key"));
      default -> specCredential(vendor, secret);
    };
  }

  /**
   * A vendor defined by a spec (a VendorSpec, or a file in {@code KEYBRAKE_VENDOR_DIR}): the Secret
   * holds one value per credential field the spec declares, under the field's name.
   */
  private static VendorCredential specCredential(String vendor, Secret secret) {
    io.keybrake.core.vendor.VendorSpec spec =
        io.keybrake.core.vendor.VendorRegistry.configured()
            .find(vendor)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "unknown vendor "
                            + vendor
                            + ": not built in, and no vendor spec for it was loaded when the"
                            + " control plane started (a new VendorSpec is loaded at the next"
                            + " start)"));
    Map<String, String> values = new TreeMap<>();
    for (io.keybrake.core.vendor.CredentialField f : spec.credential()) {
      String v = value(secret, f.name());
      if (!f.accepts(v)) {
        throw new IllegalArgumentException(
            "Secret "
                + secret.getMetadata().getName()
                + ": "
                + f.name()
                + " must be "
                + f.description());
      }
      values.put(f.name(), v);
    }
    return new VendorCredential.Fields(values);
  }

  private static String value(Secret secret, String key) {
    String name = secret.getMetadata().getName();
    if (secret.getData() != null && secret.getData().get(key) != null) {
      String v =
          new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8)
              .strip();
      if (!v.isEmpty()) {
        return v;
      }
    }
    if (secret.getStringData() != null && secret.getStringData().get(key) != null) {
      return secret.getStringData().get(key).strip();
    }
    throw new IllegalArgumentException("Secret " + name + " has no value under " + key);
  }

  private static String credentialFingerprint(VendorCredential c) {
    if (c instanceof VendorCredential.Twilio t) {
      return sha256(t.accountSid(), t.authToken());
    }
    if (c instanceof VendorCredential.Fields f) {
      return sha256(
          new TreeMap<>(f.fields())
              .entrySet().stream()
                  .flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
                  .toArray(String[]::new));
    }
    return sha256(((VendorCredential.ApiKey) c).secret());
  }

  static String sha256(String... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (String p : parts) {
        d.update(p.getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
