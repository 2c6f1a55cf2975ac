package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.harness.sim.AcmeSearchSimulator;
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
import java.util.HashMap;
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
 * {@code KEYBRAKE_VENDOR_DIR} with the runnable jar: a spec file for a vendor the jar does not know
 * ({@code src/test/resources/vendor-dir/good/acmesearch.yaml}) is enforced after a restart, with no
 * Java for it besides its simulator; a spec that does not fit its endpoints stops the start with a
 * message naming the file, the endpoint and the field.
 */
class VendorDirectoryIT {
  private static final Path JAR = Path.of("target", "keybrake.jar");
  private static final Path GOOD = Path.of("src", "test", "resources", "vendor-dir", "good");
  private static final Path BAD = Path.of("src", "test", "resources", "vendor-dir", "bad");
  private static final Pattern HTTP = Pattern.compile("admin API\\s+http://localhost:(\\d+)/keys");
  private static final String ACME_KEY = "acme_live0123456789";

  @TempDir Path dir;
  AcmeSearchSimulator acme;
  final List<Process> started = new ArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void simulator() {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    acme = new AcmeSearchSimulator(ACME_KEY).start();
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : started) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    acme.close();
  }

  private ProcessBuilder keybrake(Map<String, String> env) {
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            JAR.toString(),
            "up");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("KEYBRAKE_"));
    pb.environment().putAll(env);
    return pb;
  }

  private Map<String, String> env(Path vendorDir) {
    Map<String, String> env = new HashMap<>();
    env.put("KEYBRAKE_DATA_DIR", dir.resolve("data").toString());
    env.put("KEYBRAKE_HTTP_PORT", "0");
    env.put("KEYBRAKE_GRPC_PORT", "0");
    env.put("KEYBRAKE_XDS_PORT", "0");
    if (vendorDir != null) {
      env.put("KEYBRAKE_VENDOR_DIR", vendorDir.toAbsolutePath().toString());
      env.put("KEYBRAKE_UPSTREAM_ACMESEARCH", acme.baseUri().toString());
    }
    return env;
  }

  /** The banner's local-gateway line of the last start. */
  private String gatewayLine;

  private int up(Process[] holder, Path vendorDir) throws Exception {
    Path err = dir.resolve("stderr-" + started.size() + ".log");
    Process p = keybrake(env(vendorDir)).redirectError(err.toFile()).start();
    started.add(p);
    holder[0] = p;
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String line;
    int port = -1;
    while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
      Matcher m = HTTP.matcher(line);
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      } else if (port > 0 && line.contains("local gateway")) {
        gatewayLine = line; // printed right after the admin API's line
        return port;
      }
    }
    throw new AssertionError("keybrake up printed no banner; stderr:\n" + Files.readString(err));
  }

  private HttpResponse<String> call(int port, String path, Map<String, String> headers, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static final String NEW_KEY =
      "{\"name\":\"searcher\",\"vendor\":\"acmesearch\",\"acmesearch_api_key\":\""
          + ACME_KEY
          + "\",\"policy\":{\"daily_usd_cap\":0.01}}";

  @Test
  void aSpecDroppedIntoTheDirectoryIsEnforcedAfterARestart() throws Exception {
    Process[] proc = new Process[1];
    int port = up(proc, null);
    String adminKey = Files.readString(dir.resolve("data").resolve("admin-key")).trim();
    Map<String, String> admin = Map.of("X-Admin-Key", adminKey, "Content-Type", "application/json");

    HttpResponse<String> unknown = call(port, "/keys", admin, NEW_KEY);

    // the jar does not know the vendor, nor so its credential field
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("acmesearch_api_key is not a known field");

    proc[0].destroy();
    assertThat(proc[0].waitFor(20, TimeUnit.SECONDS)).isTrue();
    port = up(proc, GOOD);
    assertThat(gatewayLine).contains("/twilio/…").contains("/acmesearch/…");

    HttpResponse<String> created = call(port, "/keys", admin, NEW_KEY);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String vault = json.readTree(created.body()).get("vault_key").asText();
    Map<String, String> agent =
        Map.of("Authorization", "Bearer " + vault, "Content-Type", "application/json");
    List<Integer> statuses = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r =
          call(port, "/acmesearch/v1/search", agent, "{\"q\":\"query " + i + "\"}");
      statuses.add(r.statusCode());
      bodies.add(r.body());
    }

    // $0.01 a day at $0.005 a query: two queries, the third refused
    assertThat(statuses).containsExactly(200, 200, 429);
    JsonNode refusal = json.readTree(bodies.get(2));
    assertThat(refusal.get("code").asText()).isEqualTo("cap_exhausted");
    assertThat(acme.received()).hasSize(2);
    assertThat(acme.received().get(0).header("X-Api-Key")).contains(ACME_KEY);
    assertThat(acme.received().get(0).header("Authorization")).isEmpty();
    assertThat(acme.received().get(0).bodyText()).doesNotContain(vault);
  }

  @Test
  void aSpecThatDoesNotFitItsEndpointsStopsTheStart() throws Exception {
    Process p = keybrake(env(BAD)).start();
    started.add(p);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err)
        .contains("KEYBRAKE_VENDOR_DIR")
        .contains("acmesearch.yaml")
        .contains("endpoint search")
        .contains("field 'queries[].text' is a JSON path, but the endpoint's body is FORM");
  }
}
