package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls the Keybrake Deployments that mount the vendor ConfigMap when its content changes, by
 * setting the pod-template annotation {@value #ANNOTATION} to {@link #digest(Map) the SHA-256 of
 * the rendered data}: a changed pod template is a new ReplicaSet, so Kubernetes replaces the pods
 * and the new ones load the vendor specs at start. The digest is a function of the content alone,
 * so every operator replica and every restart computes the same value and an unchanged ConfigMap
 * never rolls anything. A Deployment that does not exist is logged and skipped.
 */
public final class VendorSpecRollout {
  /** The pod-template annotation holding the digest of the vendor specs the pods loaded. */
  public static final String ANNOTATION = "keybrake.io/vendor-specs-sha256";

  /** The Deployments of {@code k8s/base} that mount the vendor ConfigMap. */
  public static final List<String> DEPLOYMENTS =
      List.of("keybrake-control-plane", "keybrake-ext-proc");

  private static final Logger LOG = LoggerFactory.getLogger(VendorSpecRollout.class);

  private final KubernetesClient client;
  private final String namespace;
  private final List<String> deployments;

  public VendorSpecRollout(KubernetesClient client, String namespace, List<String> deployments) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
    this.deployments = List.copyOf(deployments);
  }

  /**
   * The SHA-256, lower-case hex, of the ConfigMap data sorted by key: for each entry the UTF-8
   * bytes of the key and of the value, each preceded by its length as 4 bytes (big-endian), so no
   * two different maps give the same input.
   */
  public static String digest(Map<String, String> data) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
    for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
      update(sha256, e.getKey());
      update(sha256, e.getValue());
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static void update(MessageDigest sha256, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    int n = bytes.length;
    sha256.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    sha256.update(bytes);
  }

  /**
   * Sets the annotation on each Deployment whose pod template does not carry this data's digest
   * yet. A Deployment without the annotation whose pods mounted an empty ConfigMap is left alone
   * while there is still no vendor spec: its pods already run without one, so a fresh install does
   * not restart itself.
   */
  public void apply(Map<String, String> data) {
    String digest = digest(data);
    for (String name : deployments) {
      Deployment current = client.apps().deployments().inNamespace(namespace).withName(name).get();
      if (current == null) {
        LOG.info(
            "k8s: Deployment {}/{} not found; not rolling it for the vendor specs",
            namespace,
            name);
        continue;
      }
      String had = annotation(current);
      if (digest.equals(had) || (had == null && data.isEmpty())) {
        continue;
      }
      client
          .apps()
          .deployments()
          .inNamespace(namespace)
          .withName(name)
          .edit(
              d ->
                  new DeploymentBuilder(d)
                      .editSpec()
                      .editTemplate()
                      .editOrNewMetadata()
                      .addToAnnotations(ANNOTATION, digest)
                      .endMetadata()
                      .endTemplate()
                      .endSpec()
                      .build());
      LOG.info(
          "k8s: rolling Deployment {}/{}: vendor specs {} changed (sha256 {})",
          namespace,
          name,
          data.keySet(),
          digest);
    }
  }

  private static String annotation(Deployment d) {
    if (d.getSpec() == null
        || d.getSpec().getTemplate() == null
        || d.getSpec().getTemplate().getMetadata() == null
        || d.getSpec().getTemplate().getMetadata().getAnnotations() == null) {
      return null;
    }
    return d.getSpec().getTemplate().getMetadata().getAnnotations().get(ANNOTATION);
  }
}
