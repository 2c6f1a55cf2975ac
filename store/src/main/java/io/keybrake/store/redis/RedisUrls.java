package io.keybrake.store.redis;

import io.lettuce.core.RedisURI;

/**
 * {@code RedisUrls} reads Redis URLs the way lettuce does (plain, TLS, Sentinel, ACL user and
 * password) and describes them and their connection errors without their password. Stateless.
 */
public final class RedisUrls {
  private RedisUrls() {}

  /**
   * What is wrong with {@code url} as a Redis URL, or empty when lettuce accepts it: {@code
   * redis://[[user]:password@]host[:port][/db]}, {@code rediss://…} (TLS), {@code
   * redis-sentinel://[[user]:password@]host[:port][,host[:port]…][/db]#master} (or {@code
   * rediss-sentinel://}). The answer never repeats the URL, which may hold a password.
   */
  public static java.util.Optional<String> urlProblem(String url) {
    RedisURI uri;
    try {
      uri = RedisURI.create(url);
    } catch (RuntimeException e) {
      return java.util.Optional.of(
          "must be a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL");
    }
    boolean sentinel = !uri.getSentinels().isEmpty();
    if (sentinel && (uri.getSentinelMasterId() == null || uri.getSentinelMasterId().isBlank())) {
      return java.util.Optional.of("names Sentinels but no master (add #<master-name>)");
    }
    if (!sentinel
        && (uri.getHost() == null || uri.getHost().isBlank())
        && uri.getSocket() == null) {
      return java.util.Optional.of("names no host");
    }
    return java.util.Optional.empty();
  }

  /** The innermost cause's message: "Connection refused", "WRONGPASS …", "NOAUTH …". */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  static void forSentinels(RedisURI uri, java.util.function.Consumer<RedisURI> action) {
    uri.getSentinels().forEach(action);
  }

  /** Where the URL points, without its password. */
  static String safe(RedisURI uri) {
    if (uri.getSentinelMasterId() != null && !uri.getSentinels().isEmpty()) {
      StringBuilder b = new StringBuilder("master '" + uri.getSentinelMasterId() + "' via");
      for (RedisURI s : uri.getSentinels()) {
        b.append(' ').append(s.getHost()).append(':').append(s.getPort());
      }
      return b.toString();
    }
    return uri.getHost() + ":" + uri.getPort();
  }
}
