package io.keybrake.operator.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keybrake.operator.crd.Injection;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.crd.SpendPolicySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AdmissionReview fixtures in, answers out, compared with golden files whose JSON Patch is decoded
 * for review ({@code *.expected.json}). Refresh them with {@code -Dkeybrake.writeGolden=true}.
 */
class PodInjectorGoldenTest {
  static final Path DIR = Path.of("src", "test", "resources", "admission");
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  final AtomicInteger lookups = new AtomicInteger();
  final PodInjector injector =
      new PodInjector(
          SidecarSettings.defaults(SidecarSettings.Mode.REDIRECT),
          (ns, name) -> {
            lookups.incrementAndGet();
            return ns.equals("team-a") && name.equals("sms-agents")
                ? Optional.of(policy())
                : Optional.empty();
          });

  @ParameterizedTest
  @ValueSource(
      strings = {
        "annotated-pod",
        "unannotated-pod",
        "other-namespace-policy",
        "missing-policy",
        "host-aliases/annotated-pod"
      })
  void answersMatchTheGoldenFiles(String fixture) throws IOException {
    PodInjector chosen =
        fixture.startsWith("host-aliases/")
            ? new PodInjector(
                SidecarSettings.defaults(SidecarSettings.Mode.HOST_ALIASES),
                (ns, name) -> Optional.of(policy()))
            : injector;
    String name = fixture.replace("host-aliases/", "");
    JsonNode review = JSON.readTree(DIR.resolve(name + ".review.json").toFile());
    JsonNode answer = readable(chosen.review(review));
    Path golden = DIR.resolve(fixture + ".expected.json");
    if (Boolean.getBoolean("keybrake.writeGolden")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, JSON.writeValueAsString(answer) + "\n");
    }
    assertThat(answer)
        .as("golden file %s (refresh with -Dkeybrake.writeGolden=true)", golden)
        .isEqualTo(JSON.readTree(golden.toFile()));
  }

  @Test
  void aRetriedReviewGetsTheSameAnswerAndInjectsOnce() throws IOException {
    JsonNode review = JSON.readTree(DIR.resolve("annotated-pod.review.json").toFile());
    JsonNode first = injector.review(review);
    JsonNode second = injector.review(review);
    assertThat(second).isEqualTo(first);

    // the patched pod, reviewed again (a reinvocation), is left alone
    ObjectNode patched = review.deepCopy();
    ((ObjectNode) patched.path("request").path("object").path("metadata").path("annotations"))
        .put(PodInjector.INJECTED_ANNOTATION, "true");
    JsonNode again = injector.review(patched);
    assertThat(again.path("response").path("allowed").asBoolean()).isTrue();
    assertThat(again.path("response").has("patch")).isFalse();
  }

  @Test
  void theRefusalForAnotherNamespaceNamesTheRule() throws IOException {
    JsonNode review = JSON.readTree(DIR.resolve("other-namespace-policy.review.json").toFile());
    JsonNode response = injector.review(review).path("response");
    assertThat(response.path("allowed").asBoolean()).isFalse();
    assertThat(response.path("status").path("code").asInt()).isEqualTo(403);
    assertThat(response.path("status").path("message").asText()).contains("own namespace");
    assertThat(lookups).hasValue(0); // refused before looking the other team's policy up
  }

  /** The answer with its base64 JSON Patch decoded, so the golden file reads as a patch. */
  static JsonNode readable(ObjectNode answer) throws IOException {
    ObjectNode copy = answer.deepCopy();
    ObjectNode response = (ObjectNode) copy.path("response");
    if (response.has("patch")) {
      byte[] patch = Base64.getDecoder().decode(response.get("patch").asText());
      response.set("patch", JSON.readTree(new String(patch, StandardCharsets.UTF_8)));
    }
    return copy;
  }

  static SpendPolicy policy() {
    SpendPolicy p = new SpendPolicy();
    p.setMetadata(new ObjectMetaBuilder().withName("sms-agents").withNamespace("team-a").build());
    SpendPolicySpec spec = new SpendPolicySpec();
    Injection injection = new Injection();
    injection.setEnvVar("TWILIO_AUTH_TOKEN");
    injection.setFile("twilio-vault-key");
    spec.setInjection(injection);
    p.setSpec(spec);
    return p;
  }
}
