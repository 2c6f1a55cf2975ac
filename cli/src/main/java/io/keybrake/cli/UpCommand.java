package io.keybrake.cli;

import io.keybrake.cli.app.Role;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keybrake up}: everything on one machine, embedded store, no other service. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description =
        "Run the admin API, local gateway, ext_proc server and xDS server (embedded store unless"
            + " KEYBRAKE_STORE=redis).")
final class UpCommand implements Callable<Integer> {
  @Mixin EnvFlags flags = new EnvFlags();

  @Override
  public Integer call() throws Exception {
    return Serve.run(flags, Role.all());
  }
}
