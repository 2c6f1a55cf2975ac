package io.keybrake.store.redis;

import io.keybrake.core.store.StoreUnavailableException;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RedisRevocations} fans key revocations out to every instance over the Redis channel {@code
 * kb:revocations}. {@link #publish} sends a revoked key id (bounded like every command); each
 * instance's subscriber calls {@code onRevoked} with every id it hears (wire it to {@code
 * KeyCache.invalidate}). Messages sent while a subscriber is cut off are lost, so {@code
 * onDisconnect} (wire it to {@code KeyCache.clear}) runs when the subscription's connection drops,
 * when a heartbeat {@code PING} gets no answer within the command timeout, and again when the
 * connection is re-established: a cache then never serves a key for longer than its own TTL without
 * hearing from Redis. Callbacks run on Redis I/O threads and must not block. Thread-safe; {@link
 * #close()} ends the subscription.
 */
public final class RedisRevocations implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisRevocations.class);

  private final RedisStore store;
  private final StatefulRedisPubSubConnection<String, String> subscription;
  private final Runnable onDisconnect;
  private final ScheduledExecutorService heartbeat;
  private final AtomicBoolean cutOff = new AtomicBoolean();
  private volatile boolean closed;

  /**
   * Subscribes now.
   *
   * @throws StoreUnavailableException if the subscription cannot be made
   */
  public RedisRevocations(RedisStore store, Consumer<String> onRevoked, Runnable onDisconnect) {
    this.store = Objects.requireNonNull(store);
    Objects.requireNonNull(onRevoked);
    this.onDisconnect = Objects.requireNonNull(onDisconnect);
    this.subscription = store.connectPubSub();
    subscription.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String keyId) {
            onRevoked.accept(keyId);
          }
        });
    subscription.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            lostContact("connection lost");
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress to) {
            // anything published while we were away is lost: drop what the cache holds
            if (cutOff.getAndSet(false)) {
              runOnDisconnect();
            }
          }
        });
    try {
      subscription
          .async()
          .subscribe(RedisKeys.REVOCATION_CHANNEL)
          .get(store.settings().commandTimeout().toMillis() * 10, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      subscription.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new StoreUnavailableException("cannot subscribe to revocations", e);
    }
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keybrake-revocation-heartbeat");
              t.setDaemon(true);
              return t;
            });
    long every = store.settings().heartbeat().toMillis();
    heartbeat.scheduleWithFixedDelay(this::ping, every, every, TimeUnit.MILLISECONDS);
  }

  /** Tells every instance that {@code keyId} is revoked. */
  public void publish(String keyId) {
    Objects.requireNonNull(keyId);
    store.call("publish a revocation", c -> c.publish(RedisKeys.REVOCATION_CHANNEL, keyId));
  }

  /** Ends the subscription and the heartbeat. */
  @Override
  public void close() {
    closed = true;
    heartbeat.shutdownNow();
    subscription.close();
  }

  private void ping() {
    try {
      subscription
          .async()
          .ping()
          .get(store.settings().commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
      if (cutOff.getAndSet(false)) {
        runOnDisconnect(); // back in contact: drop what was cached while cut off
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      lostContact("heartbeat failed");
    }
  }

  private void lostContact(String why) {
    if (closed) {
      return;
    }
    if (!cutOff.getAndSet(true)) {
      log.warn("revocation subscription: {}; dropping cached keys", why);
    }
    runOnDisconnect();
  }

  private void runOnDisconnect() {
    try {
      onDisconnect.run();
    } catch (RuntimeException e) {
      log.warn("revocation onDisconnect failed", e);
    }
  }
}
