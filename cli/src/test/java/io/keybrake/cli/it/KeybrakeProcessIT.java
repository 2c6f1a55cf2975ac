package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.harness.sim.TwilioSimulator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as a user runs it: {@code keybrake up} in its own process, stopped with SIGTERM
 * and started again on the same data dir; bad settings refused at start.
 */
class KeybrakeProcessIT {
  private static final Path JAR = Path.of("target", "keybrake.jar");
  private static final Pattern HTTP = Pattern.compile("admin API\\s+http://localhost:(\\d+)/keys");

  @TempDir Path dir;
  TwilioSimulator twilio;
  final List<Process> started = new ArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void simulator() {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    twilio = new TwilioSimulator(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN);
    twilio.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : started) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    twilio.close();
  }

  private ProcessBuilder keybrake(Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
    pb.environment().keySet().removeIf(k -> k.startsWith("KEYBRAKE_"));
    pb.environment().putAll(env);
    return pb;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Starts {@code keybrake up} and returns its HTTP port once the banner is printed. */
  private int up(Process[] holder) throws Exception {
    Process p =
        keybrake(
                Map.of(
                    "KEYBRAKE_DATA_DIR", dir.toString(),
                    "KEYBRAKE_HTTP_PORT", "0",
                    "KEYBRAKE_GRPC_PORT", "0",
                    "KEYBRAKE_XDS_PORT", "0",
                    "KEYBRAKE_UPSTREAM_TWILIO", twilio.baseUri().toString()),
                "up")
            .redirectError(dir.resolve("stderr.log").toFile())
            .start();
    started.add(p);
    holder[0] = p;
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String line;
    while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
      Matcher m = HTTP.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError(
        "keybrake up printed no banner; stderr:\n" + Files.readString(dir.resolve("stderr.log")));
  }

  private HttpResponse<String> call(
      int port, String method, String path, Map<String, String> headers, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void upServesStopsOnSigtermAndRestartsWithEverythingKept() throws Exception {
    Process[] proc = new Process[1];
    int port = up(proc);
    String adminKey = Files.readString(dir.resolve("admin-key")).trim();
    Map<String, String> admin = Map.of("X-Admin-Key", adminKey, "Content-Type", "application/json");
    JsonNode key =
        json.readTree(
            call(
                    port,
                    "POST",
                    "/keys",
                    admin,
                    "{\"name\":\"proc\",\"vendor\":\"twilio\",\"twilio_account_sid\":\""
                        + Gateway.TWILIO_SID
                        + "\",\"twilio_auth_token\":\""
                        + Gateway.TWILIO_TOKEN
                        + "\",\"policy\":{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}}")
                .body());
    String vault = key.get("vault_key").asText();
    String id = key.get("id").asText();
    Map<String, String> agent =
        Map.of(
            "Authorization",
            Gateway.basic(vault, "x"),
            "Content-Type",
            "application/x-www-form-urlencoded");
    String path = "/twilio/2010-04-01/Accounts/" + vault + "/Messages.json";
    assertThat(
            call(port, "POST", path, agent, "To=%2B14155552671&From=%2B15005550006&Body=one")
                .statusCode())
        .isEqualTo(201);
    String spentBefore =
        json.readTree(call(port, "GET", "/keys/" + id + "/spend", admin, null).body())
            .get("spent_usd")
            .asText();

    proc[0].destroy(); // SIGTERM: the shutdown hook closes the store
    assertThat(proc[0].waitFor(20, TimeUnit.SECONDS)).isTrue();

    port = up(proc);
    assertThat(
            json.readTree(call(port, "GET", "/keys/" + id + "/spend", admin, null).body())
                .get("spent_usd")
                .asText())
        .isEqualTo(spentBefore);
    assertThat(
            call(port, "POST", path, agent, "To=%2B14155552671&From=%2B15005550006&Body=two")
                .statusCode())
        .isEqualTo(201);
    assertThat(call(port, "DELETE", "/keys/" + id, admin, null).statusCode()).isEqualTo(200);
    assertThat(
            call(port, "POST", path, agent, "To=%2B14155552671&From=%2B15005550006&Body=three")
                .statusCode())
        .isEqualTo(401);
    assertThat(twilio.received()).hasSize(2);
    proc[0].destroy();
    assertThat(proc[0].waitFor(20, TimeUnit.SECONDS)).isTrue();

    Process verify =
        keybrake(Map.of("KEYBRAKE_DATA_DIR", dir.toString()), "audit", "verify").start();
    String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(verify.exitValue()).as(out).isZero();
    // the key's creation, two calls, its revocation, the refused call
    assertThat(out).contains("audit chain intact: 5 rows verified");
  }

  @Test
  void invalidSettingsAreAllReportedAndNothingStarts() throws Exception {
    Process p =
        keybrake(
                Map.of(
                    "KEYBRAKE_DATA_DIR", dir.toString(),
                    "KEYBRAKE_HTTP_PORT", "eighty",
                    "KEYBRAKE_UPSTREAM_STRIPE", "ftp://example.com",
                    "KEYBRAKE_STORE", "mongo"),
                "up")
            .start();
    started.add(p);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err)
        .contains("KEYBRAKE_HTTP_PORT must be a port number")
        .contains("KEYBRAKE_UPSTREAM_STRIPE must be a http/https URL")
        .contains("KEYBRAKE_STORE must be 'embedded' or 'redis'");
  }
}
