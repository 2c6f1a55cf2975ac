package io.keybrake.cli.admin;

import io.keybrake.cli.prices.PriceSync;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code keybrake prices sync|show}: the Twilio price table estimates come from. */
@Command(
    name = "prices",
    mixinStandardHelpOptions = true,
    description = "Show or refresh the Twilio price table.",
    subcommands = {PriceSync.Sync.class, PriceSync.Show.class})
public final class PricesCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
