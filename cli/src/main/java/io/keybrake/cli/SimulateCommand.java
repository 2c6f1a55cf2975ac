package io.keybrake.cli;

import io.keybrake.harness.sim.ResendSimulator;
import io.keybrake.harness.sim.StripeSimulator;
import io.keybrake.harness.sim.TwilioSimulator;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keybrake simulate}: local stand-ins for Twilio, Stripe and Resend (the test suite's
 * simulators), so the tour runs without vendor accounts. Prints the {@code KEYBRAKE_UPSTREAM_*}
 * lines to export, then serves until stopped.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Run local Twilio, Stripe and Resend simulators and print the KEYBRAKE_UPSTREAM_* exports.")
final class SimulateCommand implements Callable<Integer> {
  @Option(names = "--twilio-sid", description = "account SID the Twilio simulator accepts")
  String twilioSid = "AC00000000000000000000000000000000";

  @Option(names = "--twilio-token", description = "auth token the Twilio simulator accepts")
  String twilioToken = "your-token";

  @Option(names = "--stripe-key", description = "secret key the Stripe simulator accepts")
  String stripeKey = "sk_test_simulated";

  @Option(names = "--resend-key", description = "API key the Resend simulator accepts")
  String resendKey = "re_simulated";

  @Override
  public Integer call() throws InterruptedException {
    TwilioSimulator twilio = new TwilioSimulator(twilioSid, twilioToken);
    StripeSimulator stripe = new StripeSimulator(stripeKey);
    ResendSimulator resend = new ResendSimulator(resendKey);
    twilio.start();
    stripe.start();
    resend.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  twilio.close();
                  stripe.close();
                  resend.close();
                  stopped.countDown();
                }));
    System.out.println("export KEYBRAKE_UPSTREAM_TWILIO=" + twilio.baseUri());
    System.out.println("export KEYBRAKE_UPSTREAM_STRIPE=" + stripe.baseUri());
    System.out.println("export KEYBRAKE_UPSTREAM_RESEND=" + resend.baseUri());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
