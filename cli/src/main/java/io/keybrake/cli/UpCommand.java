package io.keybrake.cli;

import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.Settings;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keybrake up}: everything on one machine, embedded store, no other service. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = "Run the admin API, local gateway and ext_proc server on an embedded store.")
final class UpCommand implements Callable<Integer> {
  @Mixin EnvFlags flags = new EnvFlags();

  @Override
  public Integer call() throws Exception {
    Settings settings = flags.settingsOrReport(System.getenv());
    if (settings == null) {
      return 2;
    }
    if (!settings.store().equals("embedded")) {
      System.err.println(
          "keybrake: KEYBRAKE_STORE="
              + settings.store()
              + " is not available in this build;"
              + " use KEYBRAKE_STORE=embedded");
      return 2;
    }
    KeybrakeApp app;
    try {
      app = KeybrakeApp.start(settings, Clock.systemUTC());
    } catch (java.io.IOException e) {
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
                  } catch (Exception e) {
                    System.err.println("keybrake: error while stopping: " + e.getMessage());
                  }
                  stopped.countDown();
                }));
    int http = app.httpPort();
    System.out.println(
        "keybrake is up (embedded store in " + settings.dataDir().toAbsolutePath() + ")");
    System.out.println("  admin API + local gateway  http://localhost:" + http);
    System.out.println(
        "    vendor traffic           http://localhost:" + http + "/twilio/… /stripe/… /resend/…");
    System.out.println("  metrics                    http://localhost:" + http + "/metrics");
    System.out.println("  ext_proc (gRPC)            localhost:" + app.grpcPort());
    if (app.adminKeyGenerated()) {
      System.out.println(
          "  admin key (generated, kept in "
              + settings.dataDir().resolve("admin-key")
              + "): "
              + app.adminKey());
    } else {
      System.out.println("  admin key                  from KEYBRAKE_ADMIN_KEY");
    }
    System.out.flush();
    stopped.await();
    return 0;
  }
}
