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
}
