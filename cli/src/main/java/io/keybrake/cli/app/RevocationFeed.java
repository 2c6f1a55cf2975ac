package io.keybrake.cli.app;

import java.util.function.Consumer;

/**
 * How revocations reach every instance: published by the one that served {@code DELETE /keys/{id}},
 * heard by all (their key caches drop the key at once). Thread-safe.
 */
public interface RevocationFeed {
  /** One process: the admin API and the pipeline share the key cache, nothing to fan out. */
  RevocationFeed LOCAL =
      new RevocationFeed() {
        @Override
        public void publish(String keyId) {}

        @Override
        public AutoCloseable subscribe(Consumer<String> onRevoked, Runnable onDisconnect) {
          return () -> {};
        }
      };

  void publish(String keyId);

  /**
   * Calls {@code onRevoked} for every key revoked anywhere, and {@code onDisconnect} when the feed
   * may have missed messages (the cache should then forget everything it holds).
   */
  AutoCloseable subscribe(Consumer<String> onRevoked, Runnable onDisconnect);
}
