package io.keybrake.cli.admin;

import java.util.Map;

/**
 * The environment the commands read ({@code System.getenv()} unless a test runs the CLI with its
 * own, through {@link #with}). Commands read it when they run, never at class load.
 */
public final class CliEnvironment {
  private static volatile Map<String, String> current = System.getenv();

  private CliEnvironment() {}

  public static Map<String, String> get() {
    return current;
  }

  /** Runs {@code body} with {@code env} as the environment; one at a time. */
  public static synchronized <T> T with(
      Map<String, String> env, java.util.function.Supplier<T> body) {
    Map<String, String> before = current;
    current = Map.copyOf(env);
    try {
      return body.get();
    } finally {
      current = before;
    }
  }

  static String get(String name, String dflt) {
    String v = current.get(name);
    return v == null || v.isBlank() ? dflt : v.trim();
  }
}
