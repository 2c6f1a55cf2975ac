package io.keybrake.cli;

import io.keybrake.cli.settings.Settings;
import io.keybrake.cli.settings.SettingsParser;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Flags that override the {@code KEYBRAKE_*} environment variables of the same meaning. */
final class EnvFlags {
  @Option(names = "--data-dir", description = "KEYBRAKE_DATA_DIR (default ./.keybrake)")
  String dataDir;

  @Option(names = "--http-port", description = "KEYBRAKE_HTTP_PORT (default 8080)")
  String httpPort;

  @Option(names = "--grpc-port", description = "KEYBRAKE_GRPC_PORT (default 50051)")
  String grpcPort;

  @Option(names = "--xds-port", description = "KEYBRAKE_XDS_PORT (default 18000)")
  String xdsPort;

  @Option(names = "--store", description = "KEYBRAKE_STORE: embedded (default) or redis")
  String store;

  /** The environment with the flags applied, parsed and validated. */
  SettingsParser.Result settings(Map<String, String> environment) {
    return SettingsParser.parse(env(environment));
  }

  private Map<String, String> env(Map<String, String> environment) {
    Map<String, String> env = new HashMap<>(environment);
    put(env, "KEYBRAKE_DATA_DIR", dataDir);
    put(env, "KEYBRAKE_HTTP_PORT", httpPort);
    put(env, "KEYBRAKE_GRPC_PORT", grpcPort);
    put(env, "KEYBRAKE_XDS_PORT", xdsPort);
    put(env, "KEYBRAKE_STORE", store);
    return env;
  }

  /** Prints the problems and returns null, or returns the settings. */
  Settings settingsOrReport(Map<String, String> environment) {
    SettingsParser.Result r = settings(environment);
    if (r instanceof SettingsParser.Result.Invalid bad) {
      System.err.println("keybrake: invalid settings:");
      bad.problems().forEach(p -> System.err.println("  - " + p));
      return null;
    }
    // the process's vendors: the jar's specs and KEYBRAKE_VENDOR_DIR's (checked by the parser)
    io.keybrake.core.vendor.VendorRegistry.configure(
        io.keybrake.cli.settings.VendorDirectory.load(
            env(environment), new java.util.ArrayList<>()));
    return ((SettingsParser.Result.Ok) r).settings();
  }

  private static void put(Map<String, String> env, String name, String value) {
    if (value != null) {
      env.put(name, value);
    }
  }
}
