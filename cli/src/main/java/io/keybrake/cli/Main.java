package io.keybrake.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code keybrake} command. */
@Command(
    name = "keybrake",
    mixinStandardHelpOptions = true,
    version = "keybrake 0.1.0",
    description = "Spend-and-scope firewall for AI agents calling paid vendor APIs.",
    subcommands = {
      UpCommand.class,
      ExtProcCommand.class,
      ControlPlaneCommand.class,
      AuditCommand.class,
      io.keybrake.cli.admin.KeysCommand.class,
      io.keybrake.cli.admin.BudgetsCommand.class,
      io.keybrake.cli.admin.SpendCommand.class,
      io.keybrake.cli.admin.PricesCommand.class,
      SimulateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(io.keybrake.cli.admin.Cli.configure(new CommandLine(new Main())).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
