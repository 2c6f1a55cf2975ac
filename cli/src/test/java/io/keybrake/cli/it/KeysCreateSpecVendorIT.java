package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.cli.Main;
import io.keybrake.cli.admin.Cli;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import io.keybrake.cli.settings.VendorDirectory;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.harness.sim.SendGridSimulator;
import io.keybrake.harness.sim.VonageSimulator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keybrake keys create --vendor <spec vendor>}: the server and the CLI load the same {@code
 * KEYBRAKE_VENDOR_DIR} (a copy of {@code docs/vendors/sendgrid.yaml} and {@code vonage.yaml}); the
 * CLI reads each credential field of the spec from {@code <VENDOR>_<FIELD>} and the key it creates
 * works through the gateway with that credential injected. Unknown vendors and missing variables
 * are usage errors that say what to do.
 */
class KeysCreateSpecVendorIT {
  static final String ADMIN_KEY = "test-admin-key-0123456789";
  static final String SENDGRID_KEY = "SG.keybrake_cli_simulated.0001";
  static final String VONAGE_KEY = "c1d2e3f4";
  static final String VONAGE_SECRET = "vonage-cli-secret-0123456789";
  static final Path DOCS_VENDORS = Path.of("..", "docs", "vendors");

  @TempDir Path dir;
  Path vendorDir;
  SendGridSimulator sendgrid;
  VonageSimulator vonage;
  KeybrakeApp app;
  final ObjectMapper json = new ObjectMapper();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    vendorDir = Files.createDirectory(dir.resolve("vendors"));
    Files.copy(DOCS_VENDORS.resolve("sendgrid.yaml"), vendorDir.resolve("sendgrid.yaml"));
    Files.copy(DOCS_VENDORS.resolve("vonage.yaml"), vendorDir.resolve("vonage.yaml"));
    sendgrid = new SendGridSimulator(SENDGRID_KEY).start();
    vonage = new VonageSimulator(VONAGE_KEY, VONAGE_SECRET).start();
    // the server's vendors, as `keybrake up` loads them from KEYBRAKE_VENDOR_DIR
    List<String> problems = new ArrayList<>();
    VendorRegistry vendors =
        VendorDirectory.load(Map.of(VendorDirectory.ENV, vendorDir.toString()), problems);
    assertThat(problems).isEmpty();
    VendorRegistry.configure(vendors);
    Settings settings =
        new Settings(
            Optional.of(ADMIN_KEY),
            dir.resolve("data"),
            0,
            0,
            0,
            Map.of("sendgrid", sendgrid.baseUri(), "vonage", vonage.baseUri()),
            "embedded",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    app =
        KeybrakeApp.start(
            settings,
            OpsSettings.DEFAULTS,
            new MutableClock(Instant.parse("2026-11-22T12:00:00Z")),
            io.keybrake.cli.app.Role.all());
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    sendgrid.close();
    vonage.close();
    VendorRegistry.configure(null);
  }

  /** The CLI's environment: the server's vendor directory and a SendGrid credential. */
  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("KEYBRAKE_URL", "http://127.0.0.1:" + app.httpPort());
    env.put("KEYBRAKE_ADMIN_KEY", ADMIN_KEY);
    env.put(VendorDirectory.ENV, vendorDir.toString());
    env.put("SENDGRID_API_KEY", SENDGRID_KEY);
    return env;
  }

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Cli.run(new Main(), args, env, new PrintWriter(out), new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void createsASendGridKeyFromSendgridApiKeyAndTheKeyWorksThroughTheGateway() throws Exception {
    Run created =
        run(
            env(),
            "keys",
            "create",
            "--name",
            "mail-agent",
            "--vendor",
            "sendgrid",
            "--label",
            "team=growth",
            "--policy",
            "{\"daily_usd_cap\":1}",
            "-o",
            "json");

    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out() + created.err()).doesNotContain(SENDGRID_KEY);
    JsonNode body = json.readTree(created.out());
    String id = body.get("id").asText();
    String vault = body.get("vault_key").asText();
    assertThat(vault).startsWith("vault_key_");

    HttpResponse<String> got = admin("GET", "/keys/" + id);
    assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
    JsonNode key = json.readTree(got.body());
    assertThat(key.get("vendor").asText()).isEqualTo("sendgrid");
    assertThat(key.get("name").asText()).isEqualTo("mail-agent");
    assertThat(key.get("status").asText()).isEqualTo("active");
    assertThat(key.get("labels").get("team").asText()).isEqualTo("growth");
    assertThat(got.body()).doesNotContain(SENDGRID_KEY);

    // the credential the CLI read is the one the gateway injects
    HttpResponse<String> sent =
        http.send(
            HttpRequest.newBuilder(uri("/sendgrid/v3/mail/send"))
                .header("Authorization", "Bearer " + vault)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"personalizations\":[{\"to\":[{\"email\":\"a@example.com\"}]}],"
                            + "\"from\":{\"email\":\"bot@example.com\"},\"subject\":\"hi\","
                            + "\"content\":[{\"type\":\"text/plain\",\"value\":\"hello\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
    assertThat(sendgrid.received()).hasSize(1);
    assertThat(sendgrid.received().get(0).header("Authorization"))
        .contains("Bearer " + SENDGRID_KEY);
  }

  @Test
  void keysListAndGetShowASpecVendorKeyWithoutItsCredential() throws Exception {
    Run created =
        run(
            env(),
            "keys",
            "create",
            "--name",
            "mail-agent",
            "--vendor",
            "sendgrid",
            "--policy",
            "{\"daily_usd_cap\":1}",
            "-o",
            "json");
    assertThat(created.exit()).as(created.err()).isZero();
    String id = json.readTree(created.out()).get("id").asText();

    Run list = run(env(), "keys", "list");
    Run get = run(env(), "keys", "get", id);
    Run getJson = run(env(), "keys", "get", id, "-o", "json");

    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).contains(id, "mail-agent", "sendgrid", "active");
    assertThat(get.exit()).as(get.err()).isZero();
    assertThat(get.out()).contains(id, "mail-agent", "sendgrid", "active");
    JsonNode shown = json.readTree(getJson.out());
    assertThat(shown.get("vendor").asText()).isEqualTo("sendgrid");
    assertThat(shown.has("vault_key")).isFalse();
    assertThat(shown.has("sendgrid_api_key")).isFalse();
    assertThat(list.out() + get.out() + getJson.out()).doesNotContain(SENDGRID_KEY);
  }

  @Test
  void aTwoFieldSpecVendorReadsEachFieldFromItsOwnVariable() throws Exception {
    Map<String, String> env = env();
    env.put("VONAGE_API_KEY", VONAGE_KEY);

    Run missing = run(env, "keys", "create", "--name", "sms", "--vendor", "vonage");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err())
        .contains("keybrake: set VONAGE_API_SECRET (the real vendor credential)");

    env.put("VONAGE_API_SECRET", VONAGE_SECRET);
    Run created =
        run(
            env,
            "keys",
            "create",
            "--name",
            "sms",
            "--vendor",
            "vonage",
            "--policy",
            "{\"daily_usd_cap\":1}",
            "-o",
            "json");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out() + created.err()).doesNotContain(VONAGE_SECRET);
    String id = json.readTree(created.out()).get("id").asText();
    HttpResponse<String> got = admin("GET", "/keys/" + id);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(json.readTree(got.body()).get("vendor").asText()).isEqualTo("vonage");
  }

  @Test
  void aMissingCredentialVariableIsAUsageErrorAndCreatesNothing() throws Exception {
    Map<String, String> env = env();
    env.remove("SENDGRID_API_KEY");

    Run r = run(env, "keys", "create", "--name", "mail-agent", "--vendor", "sendgrid");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("keybrake: set SENDGRID_API_KEY (the real vendor credential)");
    assertThat(json.readTree(admin("GET", "/keys").body()).get("keys")).isEmpty();
  }

  @Test
  void anUnknownVendorIsAUsageErrorListingTheLoadedVendors() throws Exception {
    Run r = run(env(), "keys", "create", "--name", "x", "--vendor", "mailgun");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains("--vendor must be one of twilio, stripe, resend, sendgrid, vonage")
        .contains(vendorDir.toString());
    assertThat(json.readTree(admin("GET", "/keys").body()).get("keys")).isEmpty();
  }

  @Test
  void aSpecVendorWithoutKeybrakeVendorDirSaysToSetIt() throws Exception {
    Map<String, String> env = env();
    env.remove(VendorDirectory.ENV);

    Run r = run(env, "keys", "create", "--name", "x", "--vendor", "sendgrid");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains("--vendor must be one of twilio, stripe, resend")
        .contains("a spec vendor needs KEYBRAKE_VENDOR_DIR");
  }

  @Test
  void aVendorDirectoryThatDoesNotLoadIsAUsageErrorNamingTheFile() throws Exception {
    Path broken = vendorDir.resolve("broken.yaml");
    Files.writeString(broken, "id: [not, an, id]\n");

    Run r = run(env(), "keys", "create", "--name", "x", "--vendor", "sendgrid");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("KEYBRAKE_VENDOR_DIR").contains("broken.yaml");
    assertThat(json.readTree(admin("GET", "/keys").body()).get("keys")).isEmpty();
  }

  private HttpResponse<String> admin(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("X-Admin-Key", ADMIN_KEY)
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + app.httpPort() + path);
  }
}
