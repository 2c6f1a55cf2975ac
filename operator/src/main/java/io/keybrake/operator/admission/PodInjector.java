package io.keybrake.operator.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keybrake.operator.crd.Injection;
import io.keybrake.operator.crd.SpendPolicy;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The mutating admission webhook's decision, from an {@code AdmissionReview} to its answer: a pod
 * annotated {@code keybrake.dev/policy: <SpendPolicy>} gets the Keybrake sidecar (see {@link
 * SidecarPatch}); other pods pass untouched. It refuses a pod that names a policy in another
 * namespace or one that does not exist. It issues no key (the pod's init step does, at start), so
 * answering the same review twice gives the same answer and changes nothing. Thread-safe.
 */
public final class PodInjector {
  /** The annotation an agent pod opts in with. */
  public static final String POLICY_ANNOTATION = "keybrake.dev/policy";

  /**
   * Set on injected pods as annotation and label; a pod carrying the annotation is not injected
   * again, and the pod informer that revokes keys selects the label.
   */
  public static final String INJECTED_ANNOTATION = "keybrake.dev/injected";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final KubernetesSerialization K8S = new KubernetesSerialization();

  private final SidecarSettings settings;
  private final BiFunction<String, String, Optional<SpendPolicy>> policies;

  /**
   * @param policies looks a SpendPolicy up by namespace and name (the API server, or its cache)
   */
  public PodInjector(
      SidecarSettings settings, BiFunction<String, String, Optional<SpendPolicy>> policies) {
    this.settings = Objects.requireNonNull(settings);
    this.policies = Objects.requireNonNull(policies);
  }

  /** The {@code AdmissionReview} answering {@code review}. */
  public ObjectNode review(JsonNode review) {
    JsonNode request = review.path("request");
    String uid = request.path("uid").asText("");
    ObjectNode response = JsonNodeFactory.instance.objectNode();
    response.put("uid", uid);
    decide(request, response);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("apiVersion", "admission.k8s.io/v1");
    out.put("kind", "AdmissionReview");
    out.set("response", response);
    return out;
  }

  private void decide(JsonNode request, ObjectNode response) {
    JsonNode pod = request.path("object");
    if (!"Pod".equals(request.path("kind").path("kind").asText())
        || !"CREATE".equals(request.path("operation").asText())) {
      response.put("allowed", true);
      return;
    }
    JsonNode annotations = pod.path("metadata").path("annotations");
    String ref = annotations.path(POLICY_ANNOTATION).asText("");
    if (ref.isEmpty() || annotations.has(INJECTED_ANNOTATION)) {
      response.put("allowed", true);
      return;
    }
    String namespace = request.path("namespace").asText("");
    String policyName = ref;
    int slash = ref.indexOf('/');
    if (slash >= 0) {
      if (!ref.substring(0, slash).equals(namespace)) {
        deny(
            response,
            403,
            "keybrake.dev/policy may only name a SpendPolicy in the pod's own namespace ("
                + namespace
                + ")");
        return;
      }
      policyName = ref.substring(slash + 1);
    }
    Optional<SpendPolicy> policy = policies.apply(namespace, policyName);
    if (policy.isEmpty()) {
      deny(
          response, 400, "SpendPolicy " + policyName + " does not exist in namespace " + namespace);
      return;
    }
    Injection injection =
        policy.get().getSpec() != null && policy.get().getSpec().getInjection() != null
            ? policy.get().getSpec().getInjection()
            : new Injection();
    List<JsonNode> ops = new SidecarPatch(settings, injection).operations(pod);
    ArrayNode patch = JSON.valueToTree(ops);
    response.put("allowed", true);
    response.put("patchType", "JSONPatch");
    response.put(
        "patch",
        Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static void deny(ObjectNode response, int code, String message) {
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.put("code", code);
    status.put("message", message);
  }

  /** A fabric8 model object as a Jackson 2 tree. */
  static JsonNode tree(Object model) {
    try {
      return JSON.readTree(K8S.asJson(model));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot re-read " + model.getClass().getSimpleName(), e);
    }
  }
}
