package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.TwilioSimulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet instance starts and recovers like a service: it waits for a Redis that is not up yet,
 * exits with the real cause when its database is missing, and answers {@code /readyz} 503 while the
 * ledger cannot serve ({@code /healthz} stays 200) and serves again soon after Redis returns.
 */
class FleetStartupIT {
  @TempDir Path dir;
  FleetFixture fleet;
  TwilioSimulator twilio;
  RedisServer redis;
  KeybrakeApp app;

  @BeforeEach
  void start() throws Exception {
    fleet = new FleetFixture();
    twilio = new TwilioSimulator(Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN);
    twilio.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (redis != null) {
      redis.close();
    }
    twilio.close();
    fleet.close();
  }

  @Test
  void anInstanceStartedBeforeItsRedisWaitsThenServes() throws Exception {
    redis = RedisServer.notStarted();
    CompletableFuture<KeybrakeApp> starting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return fleet.start(
                    dir,
                    redis.uri(),
                    Map.of("twilio", twilio.baseUri()),
                    FleetTuning.DEFAULTS.withStartupWait(Duration.ofSeconds(60)));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    // still waiting 5 s later, not given up
    await()
        .during(Duration.ofSeconds(5))
        .atMost(Duration.ofSeconds(10))
        .until(() -> !starting.isDone());

    redis.restart(); // Redis comes up
    app = starting.get(60, TimeUnit.SECONDS);

    JsonNode key = fleet.twilioKey(app, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(fleet.sms(app, key.get("vault_key").asText(), "hello").statusCode()).isEqualTo(201);
    assertThat(fleet.get(app, "/readyz").statusCode()).isEqualTo(200);
    assertThat(twilio.received()).hasSize(1);
  }

  @Test
  void readyzIs503WhileRedisIsDownAndServingResumesSoonAfterItReturns() throws Exception {
    redis = RedisServer.start();
    app = fleet.start(dir, redis.uri(), Map.of("twilio", twilio.baseUri()), FleetTuning.DEFAULTS);
    JsonNode key = fleet.twilioKey(app, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    String vault = key.get("vault_key").asText();
    String spend = "/keys/" + key.get("id").asText() + "/spend";
    assertThat(fleet.sms(app, vault, "before").statusCode()).isEqualTo(201);
    assertThat(fleet.get(app, "/readyz").statusCode()).isEqualTo(200);

    redis.kill();
    assertThat(fleet.get(app, "/readyz").statusCode()).isEqualTo(503);
    assertThat(fleet.get(app, "/readyz").body()).contains("\"waiting_for\":[\"redis\"]");
    assertThat(fleet.get(app, "/healthz").statusCode()).isEqualTo(200);
    assertThat(fleet.sms(app, vault, "while down").statusCode()).isEqualTo(503);

    redis.restart(); // empty: the ledger is rebuilt from the audit log
    long back = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> fleet.get(app, spend).statusCode() == 200);
    long readMillis = (System.nanoTime() - back) / 1_000_000;
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> fleet.sms(app, vault, "after " + System.nanoTime()).statusCode() == 201);
    long callMillis = (System.nanoTime() - back) / 1_000_000;
    System.out.printf(
        "after Redis came back: spend read served in %d ms, a call forwarded in %d ms%n",
        readMillis, callMillis);
    assertThat(fleet.get(app, "/readyz").statusCode()).isEqualTo(200);
    // the call made before the outage still counts: rebuilt from the audit log
    JsonNode after = fleet.json.readTree(fleet.get(app, spend).body());
    assertThat(after.get("spent_usd").decimalValue().add(after.get("reserved_usd").decimalValue()))
        .isPositive();
    assertThat(twilio.received()).hasSize(2);
  }

  @Test
  void anInstanceWhoseDatabaseIsMissingExitsNonZeroNamingIt() throws Exception {
    redis = RedisServer.start();
    String missing = "kb_missing_" + UUID.randomUUID().toString().substring(0, 8);
    String url =
        io.keybrake.store.postgres.TestPostgres.baseUrl()
            .replaceFirst("(//[^/]+/)[^?]*", "$1" + missing);
    Path err = dir.resolve("instance.err");
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Path.of("target", "keybrake.jar").toString(),
                "up")
            .redirectErrorStream(false)
            .redirectOutput(dir.resolve("instance.out").toFile())
            .redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("KEYBRAKE_"));
    pb.environment()
        .putAll(
            Map.of(
                "KEYBRAKE_STORE",
                "redis",
                "KEYBRAKE_REDIS_URL",
                redis.uri(),
                "KEYBRAKE_POSTGRES_URL",
                url,
                "KEYBRAKE_KEK",
                FleetFixture.KEK,
                "KEYBRAKE_ADMIN_KEY",
                FleetFixture.ADMIN,
                "KEYBRAKE_DATA_DIR",
                dir.resolve("data").toString(),
                "KEYBRAKE_HTTP_PORT",
                "0",
                "KEYBRAKE_GRPC_PORT",
                "0",
                "KEYBRAKE_XDS_PORT",
                "0",
                "KEYBRAKE_STARTUP_WAIT",
                "3s"));
    Process p = pb.start();
    try {
      // the wait is 3 s; the rest of the bound is a cold JVM's start on a busy machine
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
      assertThat(p.exitValue()).isNotZero();
      String log = Files.readString(err, StandardCharsets.UTF_8);
      assertThat(log)
          .contains("waiting for PostgreSQL (attempt 1")
          .contains("database \"" + missing + "\" does not exist")
          .contains("cannot start: PostgreSQL not ready after 3 s");
      assertThat(log).doesNotContain("Connection is not available");
    } finally {
      p.destroyForcibly();
    }
  }
}
