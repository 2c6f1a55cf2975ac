package io.keybrake.cli;

import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.app.Role;
import io.keybrake.cli.settings.KubernetesMode;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** Runs a Keybrake process with some roles until it is stopped (SIGINT/SIGTERM). */
final class Serve {
  private Serve() {}

  static int run(EnvFlags flags, Set<Role> roles) throws InterruptedException {
    return run(flags, roles, Optional.empty());
  }

  /**
   * Runs the roles; with {@code simulators}, the local gateway's upstreams are those simulators
   * (they override {@code KEYBRAKE_UPSTREAM_*}) and they stop with the process.
   */
  static int run(EnvFlags flags, Set<Role> roles, Optional<LocalSimulators> simulators)
      throws InterruptedException {
    Map<String, String> env = new HashMap<>(System.getenv());
    simulators.ifPresent(s -> env.putAll(s.environment()));
    Settings settings = flags.settingsOrReport(env);
    if (settings == null) {
      simulators.ifPresent(LocalSimulators::close);
      return 2;
    }
    java.util.List<String> problems = new java.util.ArrayList<>();
    OpsSettings ops = OpsSettings.parse(System.getenv(), problems);
    // Kubernetes mode belongs to the control plane (the xDS role): the operator, the pod webhook
    // and token exchange, the SDS certificates
    Optional<KubernetesMode> k8s =
        roles.contains(Role.XDS)
            ? KubernetesMode.parse(System.getenv(), problems)
            : Optional.empty();
    if (!problems.isEmpty()) {
      System.err.println("keybrake: invalid settings:");
      problems.forEach(p -> System.err.println("  - " + p));
      return 2;
    }
    KeybrakeApp app;
    try {
      app = KeybrakeApp.start(settings, ops, Clock.systemUTC(), roles, k8s, KeybrakeApp.IN_CLUSTER);
    } catch (IOException | RuntimeException e) {
      System.err.println("keybrake: cannot start: " + e.getMessage());
      simulators.ifPresent(LocalSimulators::close);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    app.close();
                  } catch (IOException e) {
                    System.err.println("keybrake: error while stopping: " + e.getMessage());
                  }
                  simulators.ifPresent(LocalSimulators::close);
                  stopped.countDown();
                }));
    banner(System.out, settings, app, roles, simulators.isPresent());
    stopped.await();
    return 0;
  }

  private static void banner(
      PrintStream out, Settings settings, KeybrakeApp app, Set<Role> roles, boolean simulated) {
    int http = app.httpPort();
    out.println(
        "keybrake is up ("
            + settings.store()
            + " store in "
            + settings.dataDir().toAbsolutePath().normalize()
            + ")");
    if (roles.contains(Role.ADMIN)) {
      out.println("  admin API                  http://localhost:" + http + "/keys");
    }
    if (roles.contains(Role.GATEWAY)) {
      out.println(
          "  local gateway              http://localhost:"
              + http
              + io.keybrake.core.vendor.VendorRegistry.configured().all().stream()
                  .map(v -> "/" + v.id() + "/…")
                  .collect(java.util.stream.Collectors.joining(" ")));
      vendorRoutes(settings.upstreams(), simulated).forEach(out::println);
    }
    out.println("  metrics                    http://localhost:" + http + "/metrics");
    if (roles.contains(Role.EXT_PROC)) {
      out.println("  ext_proc (gRPC)            localhost:" + app.grpcPort());
    }
    if (roles.contains(Role.XDS)) {
      out.println("  xDS (ADS) for Envoy        localhost:" + app.xdsPort());
    }
    if (app.kubernetesHttpsPort() >= 0) {
      out.println("  pod webhook, pod keys      https://localhost:" + app.kubernetesHttpsPort());
    }
    if (roles.contains(Role.ADMIN)) {
      if (app.adminKeyGenerated()) {
        out.println(
            "  admin key (generated, kept in "
                + settings.dataDir().resolve("admin-key")
                + "): "
                + app.adminKey());
      } else {
        out.println("  admin key                  from KEYBRAKE_ADMIN_KEY");
      }
    }
    out.flush();
  }

  /**
   * Where the local gateway sends each vendor's calls, one line per vendor, with a warning for the
   * vendors' real APIs (real credentials, real money).
   */
  static List<String> vendorRoutes(Map<String, URI> overrides, boolean simulated) {
    List<String> lines = new ArrayList<>();
    for (VendorSpec spec : VendorRegistry.configured().all()) {
      URI upstream = overrides.getOrDefault(spec.id(), spec.upstream());
      String name = spec.id();
      String label = String.format(Locale.ROOT, "  %-27s", name + " calls go to");
      if (upstream.getHost() != null && upstream.getHost().equals(spec.upstream().getHost())) {
        lines.add(
            label
                + upstream
                + "   WARNING: the real "
                + capitalized(name)
                + " API: calls use the stored vendor credential and cost money");
      } else if (simulated) {
        lines.add(label + upstream + "   (local simulator, --simulate)");
      } else {
        lines.add(
            label + upstream + "   (KEYBRAKE_UPSTREAM_" + name.toUpperCase(Locale.ROOT) + ")");
      }
    }
    return lines;
  }

  private static String capitalized(String vendor) {
    return vendor.substring(0, 1).toUpperCase(Locale.ROOT) + vendor.substring(1);
  }
}
