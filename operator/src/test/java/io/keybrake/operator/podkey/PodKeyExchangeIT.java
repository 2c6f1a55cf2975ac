package io.keybrake.operator.podkey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.operator.K8sFixtures;
import io.keybrake.operator.admission.PodInjector;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.keys.KeyEvents;
import io.keybrake.operator.keys.KeyIssuer;
import io.keybrake.operator.policy.PolicyResolver;
import io.keybrake.operator.reconcile.KeybrakeOperator;
import io.keybrake.operator.reconcile.SpendBudgetReconciler;
import io.keybrake.operator.reconcile.VaultKeyReconciler;
import io.keybrake.store.EmbeddedStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token exchange over HTTP, with the API server's TokenReview mocked: only the token it accepts
 * gets a key, bound to its pod, and deleting the pod revokes the key.
 */
@EnableKubernetesMockClient(crud = true)
class PodKeyExchangeIT {
  static final String NS = "team-a";
  static final String GOOD = "projected-token-of-agent-1";

  /** The uid the mock API server gave agent-1 (it assigns its own). */
  static volatile String podUid;

  static final ObjectMapper JSON = new ObjectMapper();

  KubernetesMockServer server;
  KubernetesClient client;
  @TempDir Path data;
  MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  EmbeddedStore store;
  KeyIssuer issuer;
  Server http;
  URI endpoint;
  final HttpClient httpClient = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(201, request -> tokenReview(request.getBody().readUtf8()))
        .always();
    store = EmbeddedStore.open(data, Optional.empty(), clock);
    issuer = new KeyIssuer(store.keyStore(), clock, KeyEvents.NONE);
    K8sFixtures.twilioCredential(client);
    K8sFixtures.policy(client, NS, "sms-agents", "5.00");
    podUid =
        client
            .pods()
            .inNamespace(NS)
            .resource(agentPod())
            .createOr(NonDeletingOperation::update)
            .getMetadata()
            .getUid();
    PodKeyExchange exchange =
        new PodKeyExchange(
            client,
            new TokenReviewer(client),
            new PolicyResolver(client),
            issuer,
            store.keyStore());
    http = new Server();
    ServerConnector connector = new ServerConnector(http);
    connector.setPort(0);
    http.addConnector(connector);
    http.setHandler(new PodKeyHandler(exchange));
    http.start();
    endpoint = URI.create("http://127.0.0.1:" + connector.getLocalPort() + PodKeyHandler.PATH);
  }

  @AfterEach
  void stop() throws Exception {
    http.stop();
    store.close();
  }

  @Test
  void anAcceptedTokenGetsAKeyBoundToItsPod() throws Exception {
    HttpResponse<String> answer = post(GOOD);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.headers().firstValue("content-type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    String vaultKey = answer.body();
    assertThat(VaultKeys.looksLikeVaultKey(vaultKey)).isTrue();
    KeyRecord key = store.keyStore().findBySecretHash(VaultKeys.hash(vaultKey)).orElseThrow();
    assertThat(answer.headers().firstValue("x-keybrake-key-id")).contains(key.id());
    assertThat(key.labels())
        .containsEntry(PodKeyExchange.POD_UID_LABEL, podUid)
        .containsEntry(PodKeyExchange.POD_NAME_LABEL, "agent-1")
        .containsEntry(PolicyResolver.POLICY_LABEL, "sms-agents");
    assertThat(key.policy().dailyCapMicros()).isEqualTo(5_000_000L);
    assertThat(key.expiresAt()).contains(key.createdAt().plus(Duration.ofHours(8)));
    assertThat(key.isRevoked()).isFalse();
  }

  @Test
  void aRejectedTokenGetsNothing() throws Exception {
    HttpResponse<String> answer = post("forged-token");
    assertThat(answer.statusCode()).isEqualTo(401);
    JsonNode body = JSON.readTree(answer.body());
    assertThat(body.path("code").asText()).isEqualTo("token_rejected");
    assertThat(answer.body()).doesNotContain("forged-token");
    assertThat(store.keyStore().list()).isEmpty();

    assertThat(postWithout().statusCode()).isEqualTo(401);
    assertThat(store.keyStore().list()).isEmpty();
  }

  @Test
  void aRestartedInitStepLeavesThePodOneActiveKey() throws Exception {
    String first = post(GOOD).body();
    String second = post(GOOD).body();
    assertThat(second).isNotEqualTo(first);
    List<KeyRecord> keys = store.keyStore().list();
    assertThat(keys).hasSize(2);
    assertThat(keys.stream().filter(k -> !k.isRevoked())).hasSize(1);
    assertThat(store.keyStore().findBySecretHash(VaultKeys.hash(first)).orElseThrow().isRevoked())
        .isTrue();
  }

  @Test
  void deletingThePodRevokesItsKey() throws Exception {
    String vaultKey = post(GOOD).body();
    KeyRecord key = store.keyStore().findBySecretHash(VaultKeys.hash(vaultKey)).orElseThrow();
    try (PodKeyRevoker revoker = new PodKeyRevoker(client, store.keyStore(), issuer).start()) {
      assertThat(store.keyStore().findById(key.id()).orElseThrow().isRevoked()).isFalse();
      client.pods().inNamespace(NS).withName("agent-1").delete();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> store.keyStore().findById(key.id()).orElseThrow().isRevoked());
    }
    // the pod is gone, so its token cannot get another key
    HttpResponse<String> again = post(GOOD);
    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(again.body()).path("code").asText()).isEqualTo("pod_not_found");
  }

  @Test
  void aPolicyChangeChangesThePodsKeyInPlace() throws Exception {
    String vaultKey = post(GOOD).body();
    KeyRecord key = store.keyStore().findBySecretHash(VaultKeys.hash(vaultKey)).orElseThrow();
    assertThat(key.policy().allowedCountries()).containsExactly("US");
    PolicyResolver policies = new PolicyResolver(client);
    try (KeybrakeOperator operator =
        new KeybrakeOperator(
                client,
                new VaultKeyReconciler(client, policies, issuer, store.ledger()),
                new SpendBudgetReconciler(
                    client, store.budgetStore(), store.ledger(), clock, K8sFixtures.PLATFORM),
                Duration.ofMinutes(10))
            .followPodKeys(new PodKeyPolicies(policies, issuer, store.keyStore()))
            .start()) {
      client
          .resources(SpendPolicy.class)
          .inNamespace(NS)
          .withName("sms-agents")
          .edit(
              p -> {
                p.getSpec().setAllowedCountries(List.of("CA"));
                p.getSpec().setDailyUsdCap("9.00");
                return p;
              });
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  store
                      .keyStore()
                      .findById(key.id())
                      .orElseThrow()
                      .policy()
                      .allowedCountries()
                      .equals(List.of("CA")));
    }
    // the same key, still active, the secret the pod holds still works, under the new rules
    KeyRecord after = store.keyStore().findBySecretHash(VaultKeys.hash(vaultKey)).orElseThrow();
    assertThat(after.id()).isEqualTo(key.id());
    assertThat(after.isRevoked()).isFalse();
    assertThat(after.policy().dailyCapMicros()).isEqualTo(9_000_000L);
    assertThat(after.expiresAt()).isEqualTo(key.expiresAt());
    assertThat(store.keyStore().list()).hasSize(1);
  }

  private HttpResponse<String> post(String token) throws Exception {
    return httpClient.send(
        HttpRequest.newBuilder(endpoint)
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postWithout() throws Exception {
    return httpClient.send(
        HttpRequest.newBuilder(endpoint).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** What the API server answers: only {@link #GOOD} is a valid token, bound to agent-1. */
  static TokenReview tokenReview(String requestBody) {
    try {
      JsonNode spec = JSON.readTree(requestBody).path("spec");
      boolean ok =
          GOOD.equals(spec.path("token").asText())
              && spec.path("audiences").toString().contains("keybrake");
      TokenReviewBuilder b = new TokenReviewBuilder().withNewSpec().endSpec();
      if (!ok) {
        return b.withNewStatus()
            .withAuthenticated(false)
            .withError("invalid token")
            .endStatus()
            .build();
      }
      return b.withNewStatus()
          .withAuthenticated(true)
          .withAudiences("keybrake")
          .withNewUser()
          .withUsername("system:serviceaccount:" + NS + ":sms-agent")
          .withExtra(
              Map.of(
                  TokenReviewer.POD_NAME, List.of("agent-1"),
                  TokenReviewer.POD_UID, List.of(podUid)))
          .endUser()
          .endStatus()
          .build();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Pod agentPod() {
    return new PodBuilder()
        .withNewMetadata()
        .withName("agent-1")
        .withNamespace(NS)
        .addToAnnotations(PodInjector.POLICY_ANNOTATION, "sms-agents")
        .addToLabels(PodInjector.INJECTED_ANNOTATION, "true")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("agent")
        .withImage("registry.example.com/sms-agent:1.4")
        .endContainer()
        .endSpec()
        .build();
  }
}
