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
    Optional<String> kekBase64) {

  public Settings {
    upstreams = Map.copyOf(upstreams);
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
