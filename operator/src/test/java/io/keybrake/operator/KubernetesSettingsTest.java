package io.keybrake.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.operator.admission.SidecarSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The webhook's sidecar listener port is the one the control plane sends over xDS. */
class KubernetesSettingsTest {
  static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("KEYBRAKE_K8S_NAMESPACE", "keybrake");
    env.put("KEYBRAKE_K8S_POD_NAME", "cp-0");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  static KubernetesSettings ok(Map<String, String> env) {
    KubernetesSettings.Parsed p = KubernetesSettings.fromEnv(env);
    assertThat(p).isInstanceOf(KubernetesSettings.Parsed.Ok.class);
    return ((KubernetesSettings.Parsed.Ok) p).settings();
  }

  static List<String> problems(Map<String, String> env) {
    KubernetesSettings.Parsed p = KubernetesSettings.fromEnv(env);
    assertThat(p).isInstanceOf(KubernetesSettings.Parsed.Invalid.class);
    return ((KubernetesSettings.Parsed.Invalid) p).problems();
  }

  @Test
  void theRedirectTargetsTheXdsListenerPort() {
    SidecarSettings s = ok(env("KEYBRAKE_XDS_LISTENER_PORT", "15001")).sidecar();
    assertThat(s.mode()).isEqualTo(SidecarSettings.Mode.REDIRECT);
    assertThat(s.redirectPort()).isEqualTo(15001);
    assertThat(ok(env("KEYBRAKE_XDS_LISTENER_PORT", "16001")).sidecar().redirectPort())
        .isEqualTo(16001);
  }

  @Test
  void hostAliasesNeedTheListenerOn443() {
    assertThat(
            ok(env(
                    "KEYBRAKE_K8S_INJECTION_MODE",
                    "host-aliases",
                    "KEYBRAKE_XDS_LISTENER_PORT",
                    "443"))
                .sidecar()
                .redirectPort())
        .isEqualTo(443);
    assertThat(
            problems(
                env(
                    "KEYBRAKE_K8S_INJECTION_MODE",
                    "host-aliases",
                    "KEYBRAKE_XDS_LISTENER_PORT",
                    "15001")))
        .singleElement()
        .asString()
        .startsWith(
            "KEYBRAKE_K8S_INJECTION_MODE=host-aliases needs KEYBRAKE_XDS_LISTENER_PORT=443");
  }

  @Test
  void aBadListenerPortIsNamed() {
    assertThat(problems(env("KEYBRAKE_XDS_LISTENER_PORT", "http")))
        .singleElement()
        .asString()
        .startsWith("KEYBRAKE_XDS_LISTENER_PORT");
  }
}
