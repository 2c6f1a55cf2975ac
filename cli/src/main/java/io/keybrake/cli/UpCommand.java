package io.keybrake.cli;

import io.keybrake.cli.app.Role;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code keybrake up}: everything on one machine, embedded store, no other service. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description =
        "Run the admin API, local gateway, ext_proc server and xDS server (embedded store unless"
            + " KEYBRAKE_STORE=redis).")
final class UpCommand implements Callable<Integer> {
  @Mixin EnvFlags flags = new EnvFlags();

  @Option(
      names = "--simulate",
      description =
          "Also run local Twilio, Stripe and Resend simulators in this process and send the local"
              + " gateway's traffic to them instead of the vendors' APIs (no vendor account"
              + " needed; they accept Twilio SID "
              + LocalSimulators.TWILIO_SID
              + " / token "
              + LocalSimulators.TWILIO_TOKEN
              + ", Stripe key "
              + LocalSimulators.STRIPE_KEY
              + ", Resend key "
              + LocalSimulators.RESEND_KEY
              + ").")
  boolean simulate;

  @Override
  public Integer call() throws Exception {
    return Serve.run(
        flags, Role.all(), simulate ? Optional.of(LocalSimulators.start()) : Optional.empty());
  }
}
