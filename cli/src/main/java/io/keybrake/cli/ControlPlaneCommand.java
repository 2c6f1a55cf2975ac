package io.keybrake.cli;

import io.keybrake.cli.app.Role;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keybrake control-plane}: the admin API and the xDS server. */
@Command(
    name = "control-plane",
    mixinStandardHelpOptions = true,
    description = "Run the admin API (HTTP port) and the xDS server for Envoy (xDS port).")
final class ControlPlaneCommand implements Callable<Integer> {
  @Mixin EnvFlags flags = new EnvFlags();

  @Override
  public Integer call() throws Exception {
    return Serve.run(flags, EnumSet.of(Role.ADMIN, Role.XDS));
  }
}
