package io.keybrake.core.pipeline;

import java.time.Duration;

/**
 * Tunables of the decision pipeline, validated at construction.
 *
 * @param maxBodyBytes largest request body read (Envoy's default buffer limit is 1 MiB)
 * @param dedupMaxWait how long a duplicate waits for an in-flight original before 409
 * @param keyCacheTtl how long a key is served from memory without reading the store
 */
public record PipelineSettings(int maxBodyBytes, Duration dedupMaxWait, Duration keyCacheTtl) {
  public static final PipelineSettings DEFAULTS =
      new PipelineSettings(1 << 20, Duration.ofSeconds(4), Duration.ofSeconds(1));

  public PipelineSettings {
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("maxBodyBytes must be > 0");
    }
    if (dedupMaxWait.isNegative() || keyCacheTtl.isNegative()) {
      throw new IllegalArgumentException("durations must be >= 0");
    }
  }
}
