package io.keybrake.cli;

import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.app.Role;
import io.keybrake.cli.settings.OpsSettings;
import io.keybrake.cli.settings.Settings;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** Runs a Keybrake process with some roles until it is stopped (SIGINT/SIGTERM). */
final class Serve {
  private Serve() {}

  static int run(EnvFlags flags, Set<Role> roles) throws InterruptedException {
    Settings settings = flags.settingsOrReport(System.getenv());
    if (settings == null) {
      return 2;
    }
    java.util.List<String> problems = new java.util.ArrayList<>();
    OpsSettings ops = OpsSettings.parse(System.getenv(), problems);
    if (!problems.isEmpty()) {
      System.err.println("keybrake: invalid settings:");
      problems.forEach(p -> System.err.println("  - " + p));
      return 2;
    }
    KeybrakeApp app;
    try {
      app = KeybrakeApp.start(settings, ops, Clock.systemUTC(), roles);
    } catch (IOException | RuntimeException e) {
      System.err.println("keybrake: cannot start: " + e.getMessage());
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
                  stopped.countDown();
                }));
    banner(System.out, settings, app, roles);
    stopped.await();
    return 0;
  }

  private static void banner(PrintStream out, Settings settings, KeybrakeApp app, Set<Role> roles) {
    int http = app.httpPort();
    out.println(
        "keybrake is up ("
            + settings.store()
            + " store in "
            + settings.dataDir().toAbsolutePath()
            + ")");
    if (roles.contains(Role.ADMIN)) {
      out.println("  admin API                  http://localhost:" + http + "/keys");
    }
    if (roles.contains(Role.GATEWAY)) {
      out.println(
          "  local gateway              http://localhost:"
              + http
              + "/twilio/… /stripe/… /resend/…");
    }
    out.println("  metrics                    http://localhost:" + http + "/metrics");
    if (roles.contains(Role.EXT_PROC)) {
      out.println("  ext_proc (gRPC)            localhost:" + app.grpcPort());
    }
    if (roles.contains(Role.XDS)) {
      out.println("  xDS (ADS) for Envoy        localhost:" + app.xdsPort());
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
}
