package io.keybrake.cli.settings;

import io.keybrake.controlplane.xds.XdsSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads what the control plane puts into xDS from the environment, over {@link
 * XdsSettings#defaults()}: in Kubernetes the ext_proc server is a Service, not {@code 127.0.0.1}.
 * Every problem is collected. Stateless.
 *
 * <table>
 *   <caption>variables</caption>
 *   <tr><td>{@code KEYBRAKE_XDS_EXTPROC_HOST}</td><td>ext_proc host Envoy dials (default
 *       127.0.0.1)</td></tr>
 *   <tr><td>{@code KEYBRAKE_XDS_EXTPROC_PORT}</td><td>its port (default: this process's gRPC
 *       port)</td></tr>
 *   <tr><td>{@code KEYBRAKE_XDS_LISTENER_PORT}</td><td>Envoy's egress listener port (10000)</td></tr>
 *   <tr><td>{@code KEYBRAKE_XDS_MESSAGE_TIMEOUT_MS}</td><td>ext_proc message_timeout (10000)</td></tr>
 *   <tr><td>{@code KEYBRAKE_XDS_MAX_MESSAGE_TIMEOUT_MS}</td><td>max_message_timeout (30000)</td></tr>
 *   <tr><td>{@code KEYBRAKE_XDS_CA_FILE}</td><td>CA bundle Envoy verifies vendors with</td></tr>
 * </table>
 */
public final class XdsEnvironment {
  private XdsEnvironment() {}

  /** The outcome: settings, or the list of problems. */
  public sealed interface Result {
    record Ok(XdsSettings settings) implements Result {}

    record Invalid(List<String> problems) implements Result {}
  }

  /**
   * @param extProcPort the port to use when {@code KEYBRAKE_XDS_EXTPROC_PORT} is not set
   */
  public static Result parse(Map<String, String> env, int extProcPort) {
    XdsSettings d = XdsSettings.defaults();
    List<String> problems = new ArrayList<>();
    String host = env.getOrDefault("KEYBRAKE_XDS_EXTPROC_HOST", d.extProcHost()).strip();
    if (host.isEmpty() || !host.matches("[A-Za-z0-9.:\\[\\]-]{1,253}")) {
      problems.add("KEYBRAKE_XDS_EXTPROC_HOST must be a host name or IP address");
    }
    int port = number(env, "KEYBRAKE_XDS_EXTPROC_PORT", extProcPort, 1, 65535, problems);
    int listener = number(env, "KEYBRAKE_XDS_LISTENER_PORT", d.listenerPort(), 1, 65535, problems);
    int message =
        number(
            env,
            "KEYBRAKE_XDS_MESSAGE_TIMEOUT_MS",
            (int) d.messageTimeout().toMillis(),
            1,
            60_000,
            problems);
    int max =
        number(
            env,
            "KEYBRAKE_XDS_MAX_MESSAGE_TIMEOUT_MS",
            (int) d.maxMessageTimeout().toMillis(),
            1,
            600_000,
            problems);
    if (max < message) {
      problems.add(
          "KEYBRAKE_XDS_MAX_MESSAGE_TIMEOUT_MS must be at least KEYBRAKE_XDS_MESSAGE_TIMEOUT_MS");
    }
    String ca = env.getOrDefault("KEYBRAKE_XDS_CA_FILE", d.trustedCaFile()).strip();
    if (!ca.startsWith("/")) {
      problems.add("KEYBRAKE_XDS_CA_FILE must be an absolute path (as Envoy sees it)");
    }
    if (!problems.isEmpty()) {
      return new Result.Invalid(List.copyOf(problems));
    }
    return new Result.Ok(
        new XdsSettings(
            host,
            port,
            listener,
            Duration.ofMillis(message),
            Duration.ofMillis(max),
            ca,
            d.vendors()));
  }

  private static int number(
      Map<String, String> env, String name, int dflt, int min, int max, List<String> problems) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problems.add(name + " must be a whole number from " + min + " to " + max);
    return dflt;
  }
}
