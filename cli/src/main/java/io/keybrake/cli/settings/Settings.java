package io.keybrake.cli.settings;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of one Keybrake process (DESIGN.md §7), parsed and validated once at start by {@link
 * SettingsParser}. Immutable.
 *
 * @param adminKey the admin API key; empty = generate one and keep it in the data dir
 * @param dataDir where the embedded store keeps its files
 * @param httpPort admin API, local gateway and /metrics (0 = any free port)
 * @param grpcPort ext_proc gRPC server (0 = any free port)
 * @param xdsPort xDS (ADS) server (0 = any free port)
 * @param upstreams base URL per vendor overriding the vendor's real API
 * @param store {@code embedded} or {@code redis}
 * @param kekBase64 the key-encryption key for vendor credentials, base64 of 32 bytes
 * @param fleet deadlines and the startup wait of fleet mode
 */
public record Settings(
    Optional<String> adminKey,
    Path dataDir,
    int httpPort,
    int grpcPort,
    int xdsPort,
    Map<String, URI> upstreams,
    String store,
    Optional<URI> redisUrl,
    Optional<String> postgresUrl,
    Optional<String> kekBase64,
    FleetTuning fleet) {

  public Settings {
    upstreams = Map.copyOf(upstreams);
    java.util.Objects.requireNonNull(fleet);
  }

  /** Settings with the default {@link FleetTuning}. */
  public Settings(
      Optional<String> adminKey,
      Path dataDir,
      int httpPort,
      int grpcPort,
      int xdsPort,
      Map<String, URI> upstreams,
      String store,
      Optional<URI> redisUrl,
      Optional<String> postgresUrl,
      Optional<String> kekBase64) {
    this(
        adminKey,
        dataDir,
        httpPort,
        grpcPort,
        xdsPort,
        upstreams,
        store,
        redisUrl,
        postgresUrl,
        kekBase64,
        FleetTuning.DEFAULTS);
  }

  /** A copy with other fleet deadlines. */
  public Settings withFleet(FleetTuning tuning) {
    return new Settings(
        adminKey,
        dataDir,
        httpPort,
        grpcPort,
        xdsPort,
        upstreams,
        store,
        redisUrl,
        postgresUrl,
        kekBase64,
        tuning);
  }

  @Override
  public String toString() {
    return "Settings[dataDir="
        + dataDir
        + ", httpPort="
        + httpPort
        + ", grpcPort="
        + grpcPort
        + ", xdsPort="
        + xdsPort
        + ", store="
        + store
        + ", upstreams="
        + upstreams
        + ", adminKey="
        + (adminKey.isPresent() ? "***" : "generated")
        + "]";
  }
}
