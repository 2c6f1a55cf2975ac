package io.keybrake.cli.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsParserTest {
  @Test
  void defaultsNeedNoEnvironment() {
    Settings s = ((SettingsParser.Result.Ok) SettingsParser.parse(Map.of())).settings();
    assertThat(s.dataDir()).isEqualTo(Path.of("./.keybrake"));
    assertThat(s.httpPort()).isEqualTo(8080);
    assertThat(s.grpcPort()).isEqualTo(50051);
    assertThat(s.xdsPort()).isEqualTo(18000);
    assertThat(s.store()).isEqualTo("embedded");
    assertThat(s.adminKey()).isEmpty();
    assertThat(s.upstreams()).isEmpty();
  }

  @Test
  void upstreamOverridesAndPortsAreRead() {
    Settings s =
        ((SettingsParser.Result.Ok)
                SettingsParser.parse(
                    Map.of(
                        "KEYBRAKE_UPSTREAM_TWILIO", "http://127.0.0.1:9999",
                        "KEYBRAKE_HTTP_PORT", "0",
                        "KEYBRAKE_ADMIN_KEY", "a-long-enough-admin-key")))
            .settings();
    assertThat(s.upstreams()).containsEntry("twilio", URI.create("http://127.0.0.1:9999"));
    assertThat(s.httpPort()).isZero();
    assertThat(s.toString()).doesNotContain("a-long-enough-admin-key");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    SettingsParser.Result r =
        SettingsParser.parse(
            Map.of(
                "KEYBRAKE_ADMIN_KEY", "short",
                "KEYBRAKE_GRPC_PORT", "70000",
                "KEYBRAKE_XDS_PORT", "x",
                "KEYBRAKE_UPSTREAM_RESEND", "not a url",
                "KEYBRAKE_STORE", "redis",
                "KEYBRAKE_KEK", "!!!"));
    assertThat(r).isInstanceOf(SettingsParser.Result.Invalid.class);
    assertThat(((SettingsParser.Result.Invalid) r).problems())
        .hasSize(7)
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_ADMIN_KEY"))
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_GRPC_PORT"))
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_XDS_PORT"))
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_UPSTREAM_RESEND"))
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_REDIS_URL"))
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_POSTGRES_URL"))
        .anySatisfy(p -> assertThat(p).contains("KEYBRAKE_KEK"));
  }

  @Test
  void portsMustDiffer() {
    SettingsParser.Result r =
        SettingsParser.parse(Map.of("KEYBRAKE_HTTP_PORT", "9000", "KEYBRAKE_GRPC_PORT", "9000"));
    assertThat(((SettingsParser.Result.Invalid) r).problems())
        .containsExactly(
            "KEYBRAKE_HTTP_PORT, KEYBRAKE_GRPC_PORT and KEYBRAKE_XDS_PORT must differ");
  }

  private static final Map<String, String> FLEET =
      Map.of(
          "KEYBRAKE_STORE", "redis",
          "KEYBRAKE_POSTGRES_URL", "jdbc:postgresql://db:5432/keybrake",
          "KEYBRAKE_KEK", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");

  private static SettingsParser.Result fleet(String... more) {
    Map<String, String> env = new java.util.HashMap<>(FLEET);
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return SettingsParser.parse(env);
  }

  @Test
  void fleetDeadlinesHaveDefaultsThatHoldOnABusyMachineAndCanBeSet() {
    Settings d =
        ((SettingsParser.Result.Ok) fleet("KEYBRAKE_REDIS_URL", "redis://r:6379")).settings();
    assertThat(d.fleet()).isEqualTo(FleetTuning.DEFAULTS);
    assertThat(d.fleet().redisCommandTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(d.fleet().startupWait()).isEqualTo(java.time.Duration.ofSeconds(60));
    Settings s =
        ((SettingsParser.Result.Ok)
                fleet(
                    "KEYBRAKE_REDIS_URL", "redis://r:6379",
                    "KEYBRAKE_REDIS_COMMAND_TIMEOUT", "150ms",
                    "KEYBRAKE_REDIS_CONNECT_TIMEOUT", "5s",
                    "KEYBRAKE_STARTUP_WAIT", "2m"))
            .settings();
    assertThat(s.fleet())
        .isEqualTo(
            new FleetTuning(
                java.time.Duration.ofMillis(150),
                java.time.Duration.ofSeconds(5),
                java.time.Duration.ofMinutes(2)));
    assertThat(
            ((SettingsParser.Result.Invalid)
                    fleet("KEYBRAKE_REDIS_URL", "redis://r", "KEYBRAKE_STARTUP_WAIT", "soon"))
                .problems())
        .containsExactly(
            "KEYBRAKE_STARTUP_WAIT must be a positive duration such as 500ms, 2s or 1m, not"
                + " 'soon'");
  }

  @Test
  void sentinelTlsAndAclRedisUrlsAreAcceptedAndABadOneIsNotRepeated() {
    for (String url :
        java.util.List.of(
            "redis-sentinel://s1:26379,s2:26379,s3:26379/0#keybrake",
            "rediss-sentinel://:secret@s1:26379/0#keybrake",
            "rediss://keybrake:secret@redis.internal:6380/0",
            "redis://keybrake:secret@redis.internal:6379")) {
      assertThat(fleet("KEYBRAKE_REDIS_URL", url))
          .as(url)
          .isInstanceOf(SettingsParser.Result.Ok.class);
    }
    SettingsParser.Result r =
        fleet("KEYBRAKE_REDIS_URL", "redis-sentinel://:secret@s1:26379,s2:26379/0");
    assertThat(((SettingsParser.Result.Invalid) r).problems())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("KEYBRAKE_REDIS_URL must be a redis://")
                    .doesNotContain("secret"));
  }
}
