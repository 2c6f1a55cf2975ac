package io.keybrake.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keybrake simulate}: local stand-ins for Twilio, Stripe and Resend (the test suite's
 * simulators), so the tour runs without vendor accounts. Prints the {@code KEYBRAKE_UPSTREAM_*}
 * lines to export, then serves until stopped. {@code keybrake up --simulate} does the same inside
 * the gateway's process.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Run local Twilio, Stripe and Resend simulators and print the KEYBRAKE_UPSTREAM_* exports.")
final class SimulateCommand implements Callable<Integer> {
  @Option(names = "--twilio-sid", description = "account SID the Twilio simulator accepts")
  String twilioSid = LocalSimulators.TWILIO_SID;

  @Option(names = "--twilio-token", description = "auth token the Twilio simulator accepts")
  String twilioToken = LocalSimulators.TWILIO_TOKEN;

  @Option(names = "--stripe-key", description = "secret key the Stripe simulator accepts")
  String stripeKey = LocalSimulators.STRIPE_KEY;

  @Option(names = "--resend-key", description = "API key the Resend simulator accepts")
  String resendKey = LocalSimulators.RESEND_KEY;

  @Override
  public Integer call() throws InterruptedException {
    LocalSimulators simulators =
        LocalSimulators.start(twilioSid, twilioToken, stripeKey, resendKey);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  simulators.close();
                  stopped.countDown();
                }));
    simulators
        .environment()
        .forEach((name, value) -> System.out.println("export " + name + "=" + value));
    System.out.flush();
    stopped.await();
    return 0;
  }
}
