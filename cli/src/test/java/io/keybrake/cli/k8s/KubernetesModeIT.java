package io.keybrake.cli.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.app.Role;
import io.keybrake.cli.settings.KubernetesMode;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.harness.sim.TwilioSimulator;
import io.keybrake.operator.crd.CredentialReference;
import io.keybrake.operator.crd.SpendPolicy;
import io.keybrake.operator.crd.SpendPolicySpec;
import io.keybrake.operator.crd.VaultKey;
import io.keybrake.operator.crd.VaultKeySpec;
import io.keybrake.operator.crd.VaultKeyStatus;
import io.keybrake.operator.crd.VendorCredential;
import io.keybrake.operator.crd.VendorCredentialSpec;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keybrake control-plane} in Kubernetes mode against the mock API server (CRUD): a
 * SpendPolicy and a VaultKey applied give a Secret whose vault key is forwarded through the local
 * gateway; the VaultKey deleted, the same call is refused 401. The webhook is served on HTTPS only.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesModeIT {
  static final String PLATFORM = "keybrake";
  static final String TEAM = "team-a";
  static final String SID = "AC0123456789abcdef0123456789abcdef";
  static final String TOKEN = "real-twilio-token-0123456789";
  static final String PASSWORD = "keystore-pass-42";
  static final Duration WAIT = Duration.ofSeconds(60);

  KubernetesClient client;
  @TempDir Path dir;

  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @Test
  void aVaultKeyAppliedIsForwardedAndDeletedIsRefused() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
    TwilioSimulator twilio = new TwilioSimulator(SID, TOKEN, clock, Duration.ZERO);
    twilio.start();
    Path keystore = keystore();
    List<String> problems = new ArrayList<>();
    Optional<KubernetesMode> mode =
        KubernetesMode.parse(
            Map.of(
                "KEYBRAKE_KUBERNETES",
                "true",
                "KEYBRAKE_K8S_NAMESPACE",
                PLATFORM,
                "KEYBRAKE_K8S_POD_NAME",
                "keybrake-control-plane-0",
                "KEYBRAKE_K8S_HTTPS_PORT",
                "0",
                "KEYBRAKE_K8S_TLS_KEYSTORE",
                keystore.toString(),
                "KEYBRAKE_K8S_TLS_KEYSTORE_PASSWORD",
                PASSWORD),
            problems);
    assertThat(problems).isEmpty();
    Settings settings =
        new Settings(
            Optional.of("test-admin-key-0123456789"),
            dir.resolve("data"),
            0,
            0,
            0,
            Map.of("twilio", twilio.baseUri()),
            "embedded",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    try (KeybrakeApp app =
        KeybrakeApp.start(settings, OpsSettings.DEFAULTS, clock, Role.all(), mode, () -> client)) {
      await().atMost(WAIT).until(app::kubernetesLeading);

      // the webhook answers on HTTPS with the keystore's certificate, not on the plain port
      assertThat(https(app, keystore).statusCode()).isEqualTo(405);
      HttpResponse<String> plain = plain(app, "/k8s/mutate-pods");
      assertThat(plain.statusCode()).isNotEqualTo(405);
      assertThat(plain.body()).doesNotContain("AdmissionReview");

      applyPolicyAndVaultKey();
      await()
          .atMost(WAIT)
          .until(
              () -> {
                VaultKey v = vaultKey();
                return v != null
                    && v.getStatus() != null
                    && VaultKeyStatus.ACTIVE.equals(v.getStatus().getPhase());
              });
      Secret secret =
          client.secrets().inNamespace(TEAM).withName(vaultKey().getStatus().getSecretName()).get();
      String vaultKey =
          new String(
              Base64.getDecoder().decode(secret.getData().get("vault_key")),
              StandardCharsets.UTF_8);

      HttpResponse<String> sent = sendSms(app, vaultKey);
      assertThat(sent.statusCode()).as(sent.body()).isEqualTo(201);
      assertThat(twilio.received()).hasSize(1);
      assertThat(twilio.received().get(0).toString()).doesNotContain(vaultKey);

      String keyId = vaultKey().getStatus().getKeyId();
      client.resources(VaultKey.class).inNamespace(TEAM).withName("job").delete();
      await()
          .atMost(WAIT)
          .until(() -> app.store().keyStore().findById(keyId).orElseThrow().isRevoked());

      HttpResponse<String> refused = sendSms(app, vaultKey);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(401);
      assertThat(twilio.received()).hasSize(1);
    } finally {
      twilio.close();
    }
  }

  private VaultKey vaultKey() {
    return client.resources(VaultKey.class).inNamespace(TEAM).withName("job").get();
  }

  private void applyPolicyAndVaultKey() {
    client
        .secrets()
        .inNamespace(PLATFORM)
        .resource(
            new SecretBuilder()
                .withMetadata(
                    new ObjectMetaBuilder().withName("twilio-cred").withNamespace(PLATFORM).build())
                .addToData("account_sid", b64(SID))
                .addToData("auth_token", b64(TOKEN))
                .build())
        .create();
    VendorCredential vc = new VendorCredential();
    vc.setMetadata(new ObjectMetaBuilder().withName("twilio").withNamespace(PLATFORM).build());
    VendorCredentialSpec vcSpec = new VendorCredentialSpec();
    vcSpec.setVendor("twilio");
    vcSpec.setSecretName("twilio-cred");
    vc.setSpec(vcSpec);
    client.resources(VendorCredential.class).inNamespace(PLATFORM).resource(vc).create();

    SpendPolicy policy = new SpendPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("sms-agents").withNamespace(TEAM).build());
    SpendPolicySpec spec = new SpendPolicySpec();
    spec.setVendorCredential(new CredentialReference("twilio", PLATFORM));
    spec.setDailyUsdCap("5.00");
    spec.setAllowedCountries(List.of("US"));
    spec.setExpiresIn("8h");
    policy.setSpec(spec);
    client.resources(SpendPolicy.class).inNamespace(TEAM).resource(policy).create();

    VaultKey vk = new VaultKey();
    vk.setMetadata(new ObjectMetaBuilder().withName("job").withNamespace(TEAM).build());
    VaultKeySpec vkSpec = new VaultKeySpec();
    vkSpec.setPolicy("sms-agents");
    vk.setSpec(vkSpec);
    client.resources(VaultKey.class).inNamespace(TEAM).resource(vk).create();
  }

  private HttpResponse<String> sendSms(KeybrakeApp app, String vaultKey) throws Exception {
    String form = "To=%2B14155552671&From=%2B15005550006&Body=Your+order+shipped";
    return http.send(
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + app.httpPort()
                        + "/twilio/2010-04-01/Accounts/"
                        + vaultKey
                        + "/Messages.json"))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Basic " + b64(vaultKey + ":unused"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> plain(KeybrakeApp app, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
            .timeout(Duration.ofSeconds(20))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A GET on the webhook over HTTPS, trusting only the keystore's own certificate. */
  private static HttpResponse<String> https(KeybrakeApp app, Path keystore) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trusted.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(tls)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    return client.send(
        HttpRequest.newBuilder(
                URI.create("https://localhost:" + app.kubernetesHttpsPort() + "/k8s/mutate-pods"))
            .timeout(Duration.ofSeconds(20))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A PKCS12 keystore like the one cert-manager writes, made with the JDK's keytool. */
  private Path keystore() throws Exception {
    Path out = dir.resolve("keystore.p12");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "keybrake-control-plane",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                out.toString(),
                "-storepass",
                PASSWORD)
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return out;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
