package io.keybrake.cli;

import io.keybrake.harness.sim.ResendSimulator;
import io.keybrake.harness.sim.StripeSimulator;
import io.keybrake.harness.sim.TwilioSimulator;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Twilio, Stripe and Resend simulators the README tour runs against (the test suite's, shipped
 * in the jar for this), each on a free port of 127.0.0.1, accepting the tour's credentials. Used by
 * {@code keybrake simulate} and {@code keybrake up --simulate}.
 */
final class LocalSimulators implements AutoCloseable {
  /** The credentials the simulators accept unless told otherwise (the README uses them). */
  static final String TWILIO_SID = "AC00000000000000000000000000000000";

  static final String TWILIO_TOKEN = "your-token";
  static final String STRIPE_KEY = "sk_test_simulated";
  static final String RESEND_KEY = "re_simulated";

  private final TwilioSimulator twilio;
  private final StripeSimulator stripe;
  private final ResendSimulator resend;

  private LocalSimulators(TwilioSimulator twilio, StripeSimulator stripe, ResendSimulator resend) {
    this.twilio = twilio;
    this.stripe = stripe;
    this.resend = resend;
  }

  /** Starts the three simulators; returns once every one listens. */
  static LocalSimulators start(
      String twilioSid, String twilioToken, String stripeKey, String resendKey) {
    TwilioSimulator twilio = new TwilioSimulator(twilioSid, twilioToken);
    StripeSimulator stripe = new StripeSimulator(stripeKey);
    ResendSimulator resend = new ResendSimulator(resendKey);
    twilio.start();
    stripe.start();
    resend.start();
    return new LocalSimulators(twilio, stripe, resend);
  }

  /** Starts the three simulators with the tour's credentials. */
  static LocalSimulators start() {
    return start(TWILIO_SID, TWILIO_TOKEN, STRIPE_KEY, RESEND_KEY);
  }

  /** Base URL per vendor id ({@code twilio}, {@code stripe}, {@code resend}). */
  Map<String, URI> upstreams() {
    Map<String, URI> m = new LinkedHashMap<>();
    m.put("twilio", twilio.baseUri());
    m.put("stripe", stripe.baseUri());
    m.put("resend", resend.baseUri());
    return m;
  }

  /** The {@code KEYBRAKE_UPSTREAM_*} variables that point a gateway at these simulators. */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    upstreams()
        .forEach(
            (vendor, uri) ->
                env.put(
                    "KEYBRAKE_UPSTREAM_" + vendor.toUpperCase(java.util.Locale.ROOT),
                    uri.toString()));
    return env;
  }

  @Override
  public void close() {
    twilio.close();
    stripe.close();
    resend.close();
  }
}
