package io.keybrake.cli.settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@link Settings} from the environment (flags are applied on top by the CLI as the same
 * variable names). Every problem is collected, so one start names them all. Stateless.
 */
public final class SettingsParser {
  /** The outcome: settings, or the list of problems. */
  public sealed interface Result {
    record Ok(Settings settings) implements Result {}

    record Invalid(List<String> problems) implements Result {}
  }

  /**
   * {@code KEYBRAKE_REDIS_URL}: {@code redis://}, {@code rediss://} (TLS), {@code
   * redis-sentinel://} or {@code rediss-sentinel://} (Sentinel, several hosts, master name after
   * {@code #}), with an optional ACL user and password; checked by the Redis adapter itself. The
   * problem never repeats the URL, which may hold a password.
   */
  private static Optional<URI> redisUrl(String v, List<String> problems) {
    Optional<String> problem = io.keybrake.store.redis.RedisUrls.urlProblem(v);
    if (problem.isPresent()) {
      problems.add("KEYBRAKE_REDIS_URL " + problem.get());
      return Optional.empty();
    }
    try {
      return Optional.of(new URI(v));
    } catch (URISyntaxException e) {
      problems.add("KEYBRAKE_REDIS_URL is not a valid URL");
      return Optional.empty();
    }
  }

  private SettingsParser() {}

  /** A duration such as {@code 150ms}, {@code 2s}, {@code 1m}; must be positive. */
  private static Duration duration(
      Map<String, String> env, String name, Duration dflt, List<String> problems) {
    Optional<String> v = opt(env, name);
    if (v.isEmpty()) {
      return dflt;
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(v.get().toLowerCase(Locale.ROOT));
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      problems.add(
          name + " must be a positive duration such as 500ms, 2s or 1m, not '" + v.get() + "'");
      return dflt;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      default -> Duration.ofMinutes(n);
    };
  }

  public static Result parse(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Optional<String> adminKey = opt(env, "KEYBRAKE_ADMIN_KEY");
    if (adminKey.isPresent() && adminKey.get().length() < 16) {
      problems.add("KEYBRAKE_ADMIN_KEY must be at least 16 characters");
    }
    Path dataDir = Path.of(opt(env, "KEYBRAKE_DATA_DIR").orElse("./.keybrake"));
    int http = port(env, "KEYBRAKE_HTTP_PORT", 8080, problems);
    int grpc = port(env, "KEYBRAKE_GRPC_PORT", 50051, problems);
    int xds = port(env, "KEYBRAKE_XDS_PORT", 18000, problems);
    if (http != 0 && (http == grpc || http == xds) || grpc != 0 && grpc == xds) {
      problems.add("KEYBRAKE_HTTP_PORT, KEYBRAKE_GRPC_PORT and KEYBRAKE_XDS_PORT must differ");
    }
    // every vendor, built in or from KEYBRAKE_VENDOR_DIR, may be pointed elsewhere with
    // KEYBRAKE_UPSTREAM_<VENDOR>
    Map<String, URI> upstreams = new LinkedHashMap<>();
    for (String vendor : VendorDirectory.load(env, problems).ids()) {
      String var = "KEYBRAKE_UPSTREAM_" + vendor.toUpperCase(Locale.ROOT);
      opt(env, var)
          .ifPresent(
              v ->
                  url(var, v, List.of("http", "https"), problems)
                      .ifPresent(u -> upstreams.put(vendor, u)));
    }
    String store = opt(env, "KEYBRAKE_STORE").orElse("embedded").toLowerCase(Locale.ROOT);
    Optional<URI> redis = opt(env, "KEYBRAKE_REDIS_URL").flatMap(v -> redisUrl(v, problems));
    FleetTuning d = FleetTuning.DEFAULTS;
    FleetTuning fleet =
        new FleetTuning(
            duration(env, "KEYBRAKE_REDIS_COMMAND_TIMEOUT", d.redisCommandTimeout(), problems),
            duration(env, "KEYBRAKE_REDIS_CONNECT_TIMEOUT", d.redisConnectTimeout(), problems),
            duration(env, "KEYBRAKE_STARTUP_WAIT", d.startupWait(), problems));
    Optional<String> postgres = opt(env, "KEYBRAKE_POSTGRES_URL");
    if (postgres.isPresent()
        && !postgres.get().startsWith("jdbc:postgresql:")
        && !postgres.get().startsWith("postgres")) {
      problems.add("KEYBRAKE_POSTGRES_URL must be a postgres:// or jdbc:postgresql: URL");
    }
    switch (store) {
      case "embedded" -> {}
      case "redis" -> {
        if (opt(env, "KEYBRAKE_REDIS_URL").isEmpty()) {
          problems.add("KEYBRAKE_STORE=redis needs KEYBRAKE_REDIS_URL (redis://host:port)");
        }
        if (postgres.isEmpty()) {
          problems.add(
              "KEYBRAKE_STORE=redis needs KEYBRAKE_POSTGRES_URL (the fleet's registry and audit log)");
        }
        if (opt(env, "KEYBRAKE_KEK").isEmpty()) {
          problems.add(
              "KEYBRAKE_STORE=redis needs KEYBRAKE_KEK, the same on every instance, so each can"
                  + " read the vendor credentials the others stored");
        }
      }
      default -> problems.add("KEYBRAKE_STORE must be 'embedded' or 'redis', not '" + store + "'");
    }
    Optional<String> kek = opt(env, "KEYBRAKE_KEK");
    if (kek.isPresent()) {
      try {
        if (java.util.Base64.getDecoder().decode(kek.get()).length != 32) {
          problems.add("KEYBRAKE_KEK must be the base64 of exactly 32 bytes");
        }
      } catch (IllegalArgumentException e) {
        problems.add("KEYBRAKE_KEK is not valid base64");
      }
    }
    if (!problems.isEmpty()) {
      return new Result.Invalid(problems);
    }
    return new Result.Ok(
        new Settings(
            adminKey, dataDir, http, grpc, xds, upstreams, store, redis, postgres, kek, fleet));
  }

  private static Optional<String> opt(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  private static int port(Map<String, String> env, String name, int dflt, List<String> problems) {
    Optional<String> v = opt(env, name);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      int p = Integer.parseInt(v.get());
      if (p < 0 || p > 65535) {
        problems.add(name + " must be a port number 0-65535, not " + v.get());
      }
      return p;
    } catch (NumberFormatException e) {
      problems.add(name + " must be a port number, not '" + v.get() + "'");
      return dflt;
    }
  }

  private static Optional<URI> url(
      String name, String v, List<String> schemes, List<String> problems) {
    try {
      URI u = new URI(v);
      if (u.getScheme() == null
          || !schemes.contains(u.getScheme().toLowerCase(Locale.ROOT))
          || u.getHost() == null) {
        problems.add(name + " must be a " + String.join("/", schemes) + " URL, not '" + v + "'");
        return Optional.empty();
      }
      return Optional.of(u);
    } catch (URISyntaxException e) {
      problems.add(name + " is not a valid URL: " + v);
      return Optional.empty();
    }
  }
}
