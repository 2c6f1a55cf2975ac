package io.keybrake.cli;

import io.keybrake.cli.app.Role;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keybrake ext-proc}: only the ext_proc gRPC server Envoy calls (plus /metrics). */
@Command(
    name = "ext-proc",
    mixinStandardHelpOptions = true,
    description = "Run the ext_proc gRPC server for Envoy (and /metrics on the HTTP port).")
final class ExtProcCommand implements Callable<Integer> {
  @Mixin EnvFlags flags = new EnvFlags();

  @Override
  public Integer call() throws Exception {
    return Serve.run(flags, EnumSet.of(Role.EXT_PROC));
  }
}
