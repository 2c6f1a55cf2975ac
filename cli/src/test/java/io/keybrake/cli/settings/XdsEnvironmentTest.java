package io.keybrake.cli.settings;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.controlplane.xds.XdsSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XdsEnvironmentTest {
  @Test
  void withoutVariablesTheShippedDefaultsApplyWithThisProcessesGrpcPort() {
    XdsSettings s = ok(XdsEnvironment.parse(Map.of(), 50999));
    XdsSettings d = XdsSettings.defaults();
    assertThat(s.extProcHost()).isEqualTo("127.0.0.1");
    assertThat(s.extProcPort()).isEqualTo(50999);
    assertThat(s.listenerPort()).isEqualTo(d.listenerPort());
    assertThat(s.messageTimeout()).isEqualTo(d.messageTimeout());
    assertThat(s.trustedCaFile()).isEqualTo(d.trustedCaFile());
  }

  @Test
  void aKubernetesServiceAndTimeoutsComeFromTheEnvironment() {
    XdsSettings s =
        ok(
            XdsEnvironment.parse(
                Map.of(
                    "KEYBRAKE_XDS_EXTPROC_HOST", "keybrake-ext-proc.keybrake.svc",
                    "KEYBRAKE_XDS_EXTPROC_PORT", "50051",
                    "KEYBRAKE_XDS_LISTENER_PORT", "15001",
                    "KEYBRAKE_XDS_MESSAGE_TIMEOUT_MS", "300",
                    "KEYBRAKE_XDS_MAX_MESSAGE_TIMEOUT_MS", "3000",
                    "KEYBRAKE_XDS_CA_FILE", "/etc/keybrake/ca/bundle.pem"),
                0));
    assertThat(s.extProcHost()).isEqualTo("keybrake-ext-proc.keybrake.svc");
    assertThat(s.extProcPort()).isEqualTo(50051);
    assertThat(s.listenerPort()).isEqualTo(15001);
    assertThat(s.messageTimeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(s.maxMessageTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.trustedCaFile()).isEqualTo("/etc/keybrake/ca/bundle.pem");
  }

  @Test
  void everyBadValueIsNamed() {
    XdsEnvironment.Result r =
        XdsEnvironment.parse(
            Map.of(
                "KEYBRAKE_XDS_EXTPROC_HOST", "bad host!",
                "KEYBRAKE_XDS_LISTENER_PORT", "70000",
                "KEYBRAKE_XDS_MESSAGE_TIMEOUT_MS", "900",
                "KEYBRAKE_XDS_MAX_MESSAGE_TIMEOUT_MS", "800",
                "KEYBRAKE_XDS_CA_FILE", "relative.pem"),
            50051);
    assertThat(r).isInstanceOf(XdsEnvironment.Result.Invalid.class);
    assertThat(((XdsEnvironment.Result.Invalid) r).problems())
        .hasSize(4)
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_XDS_EXTPROC_HOST"))
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_XDS_LISTENER_PORT"))
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_XDS_MAX_MESSAGE_TIMEOUT_MS"))
        .anySatisfy(p -> assertThat(p).startsWith("KEYBRAKE_XDS_CA_FILE"));
  }

  private static XdsSettings ok(XdsEnvironment.Result r) {
    assertThat(r).isInstanceOf(XdsEnvironment.Result.Ok.class);
    return ((XdsEnvironment.Result.Ok) r).settings();
  }
}
