package io.keybrake.cli.admin;

import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs a command line with the exit codes of {@link Exit}: a command that cannot reach the admin
 * API (or PostgreSQL, or a vendor) exits 3 with one line on stderr, not a stack trace.
 */
public final class Cli {
  private Cli() {}

  /** Configures {@code cl}'s exception handling. */
  public static CommandLine configure(CommandLine cl) {
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("keybrake: " + ex.getMessage());
          commandLine.getErr().flush();
          return ex instanceof AdminClient.Unreachable || ex instanceof Unreachable
              ? Exit.UNREACHABLE
              : Exit.FAILED;
        });
    return cl;
  }

  /** Runs {@code args} with {@code env} as the environment, printing to {@code out}/{@code err}. */
  public static int run(
      Object command, String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    return CliEnvironment.with(
        env,
        () -> {
          CommandLine cl = configure(new CommandLine(command));
          cl.setOut(out);
          cl.setErr(err);
          return cl.execute(args);
        });
  }

  /** A service other than the admin API (PostgreSQL, a vendor) did not answer. */
  public static final class Unreachable extends Exception {
    public Unreachable(String message) {
      super(message);
    }
  }
}
