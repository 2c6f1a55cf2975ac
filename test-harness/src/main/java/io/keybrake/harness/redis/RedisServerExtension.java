package io.keybrake.harness.redis;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code RedisServerExtension} starts a {@link RedisServer} before a test class and stops it after.
 * Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();
 * ... REDIS.server().uri(), REDIS.server().kill(), REDIS.server().restart()
 * }</pre>
 *
 * Tests may kill, restart and flush it: it is theirs alone. Not thread-safe.
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {
  private RedisServer server;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = RedisServer.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** The running server; only between the class's first and last callback. */
  public RedisServer server() {
    if (server == null) {
      throw new IllegalStateException("the Redis server runs only while the test class runs");
    }
    return server;
  }

  /** Shorthand for {@code server().uri()}. */
  public String uri() {
    return server().uri();
  }
}
