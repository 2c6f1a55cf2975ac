package io.keybrake.store.redis;

import io.keybrake.core.admission.Stages;
import io.keybrake.core.store.StoreUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RedisStore} is one connection to the fleet's Redis, shared by {@link RedisLedger}, {@link
 * RedisDedupCache} and {@link RedisRevocations}. Every command is bounded: it either answers within
 * {@link RedisSettings#commandTimeout()} or throws {@link StoreUnavailableException}; after {@link
 * RedisSettings#breakerFailures()} consecutive failures a circuit breaker refuses at once for
 * {@link RedisSettings#breakerCoolDown()}. While disconnected, commands are refused at once (not
 * queued) and the connection reconnects in the background. Lua scripts are loaded once and run by
 * {@code EVALSHA}, falling back to {@code EVAL} when Redis answers {@code NOSCRIPT} (after a
 * restart or {@code SCRIPT FLUSH}). Before the first command on every connection (at start and
 * after each reconnect, which after a Sentinel failover reaches the new primary) it runs {@code
 * fence.lua}: a ledger whose epoch marker another server wrote is fenced (the marker dropped) and
 * rebuilt, and a command whose connection dropped while it ran counts as unanswered ({@link
 * AnswerLostException}). Thread-safe; close it once, after its users.
 */
public final class RedisStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisStore.class);

  private final RedisClient client;
  private final ClientResources resources;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> commands;
  private final RedisSettings settings;
  private final Clock clock;
  private final CircuitBreaker breaker;
  private final long timeoutNanos;

  /**
   * Most deadlines a command waits in all while Redis keeps answering others (time queued in this
   * process or behind other commands is not an outage).
   */
  static final int MAX_DEADLINES = 4;

  private final AnswerWatch answers = new AnswerWatch(System::nanoTime);

  /** Bumped (in lettuce's event loop, before any reconnect) each time the connection drops. */
  private final java.util.concurrent.atomic.AtomicLong generation =
      new java.util.concurrent.atomic.AtomicLong();

  /** The connection generation {@code fence.lua} last checked the server of (-1: none yet). */
  private volatile long verified = -1;

  private final Object verifying = new Object();
  private final java.util.concurrent.atomic.AtomicLong fenced =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile String serverRunId = "";
  private final LatencyBuckets latency = new LatencyBuckets();
  private final java.util.concurrent.atomic.AtomicLong slowAnswers =
      new java.util.concurrent.atomic.AtomicLong();

  private RedisStore(
      RedisClient client,
      ClientResources resources,
      StatefulRedisConnection<String, String> connection,
      RedisSettings settings,
      Clock clock) {
    this.client = client;
    this.resources = resources;
    this.connection = connection;
    this.commands = connection.async();
    this.settings = settings;
    this.clock = clock;
    this.breaker =
        new CircuitBreaker(settings.breakerFailures(), settings.breakerCoolDown(), clock);
    this.timeoutNanos = settings.commandTimeout().toNanos();
    client.addListener(
        new io.lettuce.core.RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> handler) {
            if (handler == connection) {
              generation.incrementAndGet();
            }
          }
        });
  }

  /**
   * Connects to {@code url} ({@code redis://[:password@]host:port[/db]}, or {@code rediss://} for
   * TLS) and loads the scripts.
   *
   * @throws StoreUnavailableException if Redis cannot be reached now
   * @throws IllegalArgumentException if the URL is not a Redis URL
   */
  public static RedisStore connect(String url, RedisSettings settings, Clock clock) {
    Objects.requireNonNull(settings);
    Objects.requireNonNull(clock);
    RedisURI uri = RedisURI.create(Objects.requireNonNull(url));
    Duration timeout = settings.commandTimeout();
    // the URI's timeout bounds the connection's handshake; commands get their own deadline
    uri.setTimeout(settings.connectTimeout());
    RedisUrls.forSentinels(uri, t -> t.setTimeout(settings.connectTimeout()));
    ClientResources resources =
        ClientResources.builder()
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS))
            .build();
    RedisClient client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            // lettuce's own expiry is a backstop behind the deadline this store enforces
            .timeoutOptions(TimeoutOptions.enabled(timeout.multipliedBy(MAX_DEADLINES + 1L)))
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(settings.connectTimeout())
                    .keepAlive(true)
                    .build())
            .build());
    StatefulRedisConnection<String, String> connection;
    try {
      connection = client.connect();
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      resources.shutdown(0, 1, TimeUnit.SECONDS);
      throw new StoreUnavailableException(
          "cannot connect to Redis at " + RedisUrls.safe(uri) + ": " + RedisUrls.rootMessage(e), e);
    }
    RedisStore store = new RedisStore(client, resources, connection, settings, clock);
    try {
      for (LuaScript s : Scripts.ALL) {
        store.loadScript(s);
      }
    } catch (StoreUnavailableException e) {
      // not fatal: a script Redis does not know is sent with EVAL on first use
      log.warn("could not load the Lua scripts now: {}", e.getMessage());
    }
    store.warnUnlessNoEviction();
    return store;
  }

  /**
   * Asks Redis for {@code PING}, bounded like every command.
   *
   * @throws StoreUnavailableException if Redis does not answer
   */
  public void ping() {
    call("ping", c -> c.ping());
  }

  /** The settings this store was made with. */
  public RedisSettings settings() {
    return settings;
  }

  /** The clock of the breaker and of every TTL this store's users compute. */
  public Clock clock() {
    return clock;
  }

  /**
   * Runs one command, bounded by the timeout and the breaker.
   *
   * @param what what the command does, for the exception message (no secrets)
   */
  <T> T call(String what, Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command) {
    return attempt(what, command, false);
  }

  /** Runs a script by {@code EVALSHA}, or by {@code EVAL} when Redis does not know it. */
  List<Object> run(LuaScript script, String[] keys, String... args) {
    List<Object> out =
        attempt(
            script.name(),
            c -> c.<List<Object>>evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args),
            true);
    if (out != null) {
      return out;
    }
    // NOSCRIPT: EVAL runs it and caches it again for the next EVALSHA
    return call(
        script.name(),
        c -> c.<List<Object>>eval(script.source(), ScriptOutputType.MULTI, keys, args));
  }

  /**
   * {@link #run} without blocking: the stage completes on lettuce's event loop with the script's
   * answer, or fails as {@link #run} throws (the same deadline, breaker and fencing; a deadline is
   * checked on a shared timer thread, not by a waiting thread).
   */
  CompletableFuture<List<Object>> runAsync(LuaScript script, String[] keys, String... args) {
    return this.<List<Object>>attemptAsync(
            script.name(),
            c -> c.<List<Object>>evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args),
            true)
        .thenCompose(
            out ->
                out != null
                    ? CompletableFuture.completedFuture(out)
                    : this.<List<Object>>attemptAsync(
                        script.name(),
                        c ->
                            c.<List<Object>>eval(
                                script.source(), ScriptOutputType.MULTI, keys, args),
                        false));
  }

  /**
   * {@link #attempt} without blocking. The server check ({@code fence.lua}), needed once per
   * connection, runs on {@link Stages#blocking()} when it is due.
   */
  private <T> CompletableFuture<T> attemptAsync(
      String what,
      Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command,
      boolean passNoScript) {
    long gen = generation.get();
    CompletableFuture<Void> checked =
        verified == gen
            ? CompletableFuture.completedFuture(null)
            : CompletableFuture.runAsync(() -> verify(gen, what), Stages.blocking());
    return checked
        .thenCompose(v -> sendAsync(what, command, passNoScript))
        .thenApply(
            value -> {
              if (generation.get() != gen) {
                throw new AnswerLostException(
                    "the Redis connection dropped while "
                        + what
                        + " ran: its answer is not trusted",
                    null);
              }
              return value;
            });
  }

  /** {@link #send} without blocking: judged the same way when the answer or the deadline comes. */
  private <T> CompletableFuture<T> sendAsync(
      String what,
      Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command,
      boolean passNoScript) {
    if (!breaker.allow()) {
      return CompletableFuture.failedFuture(
          new StoreUnavailableException("Redis unavailable (circuit open): " + what));
    }
    if (!connection.isOpen()) {
      breaker.onFailure(); // evidence: the connection is down and reconnecting
      return CompletableFuture.failedFuture(
          new StoreUnavailableException("Redis unavailable (not connected): " + what));
    }
    long sent = System.nanoTime();
    RedisFuture<T> future;
    try {
      future = command.apply(commands);
    } catch (RuntimeException e) {
      breaker.onFailure();
      return CompletableFuture.failedFuture(
          new AnswerLostException("Redis unavailable: " + what + ": " + message(e), e));
    }
    CompletableFuture<T> out = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicBoolean judged =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<java.util.concurrent.ScheduledFuture<?>> deadline =
        new java.util.concurrent.atomic.AtomicReference<>();
    future.whenComplete(
        (value, error) -> {
          Throwable cause =
              error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                  ? error.getCause()
                  : error;
          if (cause == null || cause instanceof RedisCommandExecutionException) {
            answers.answered();
            latency.record(System.nanoTime() - sent);
          }
          java.util.concurrent.ScheduledFuture<?> d = deadline.getAndSet(null);
          if (d != null) {
            d.cancel(false);
          }
          if (!judged.compareAndSet(false, true)) {
            return; // the deadline already failed the command
          }
          if (cause == null) {
            breaker.onSuccess();
            out.complete(value);
          } else if (cause instanceof RedisNoScriptException && passNoScript) {
            breaker.onSuccess();
            out.complete(null);
          } else if (cause instanceof RedisCommandExecutionException) {
            breaker.onSuccess(); // Redis answered, with an error: a fault, but not an outage
            out.completeExceptionally(
                new RefusedException("Redis refused " + what + ": " + cause.getMessage(), cause));
          } else if (cause instanceof RedisCommandTimeoutException) {
            out.completeExceptionally(deadlinePassed(what, !answers.answeredSince(sent), cause));
          } else if (cause instanceof CancellationException) {
            breaker.onFailure();
            out.completeExceptionally(
                new AnswerLostException("Redis command cancelled: " + what, cause));
          } else {
            breaker.onFailure();
            out.completeExceptionally(
                new AnswerLostException(
                    "Redis unavailable: " + what + ": " + message(cause), cause));
          }
        });
    if (!future.isDone()) {
      scheduleDeadline(what, future, out, judged, deadline, sent, sent);
    }
    return out;
  }

  /**
   * Checks {@code future} one deadline after {@code windowStart}: given up when the connection was
   * silent meanwhile or {@link #MAX_DEADLINES} passed in all, else given another deadline.
   */
  private <T> void scheduleDeadline(
      String what,
      RedisFuture<T> future,
      CompletableFuture<T> out,
      java.util.concurrent.atomic.AtomicBoolean judged,
      java.util.concurrent.atomic.AtomicReference<java.util.concurrent.ScheduledFuture<?>> deadline,
      long sent,
      long windowStart) {
    Runnable check =
        () -> {
          if (future.isDone() || judged.get()) {
            return;
          }
          long now = System.nanoTime();
          boolean silent = !answers.answeredSince(windowStart);
          if (silent || now - sent >= timeoutNanos * MAX_DEADLINES) {
            if (judged.compareAndSet(false, true)) {
              out.completeExceptionally(deadlinePassed(what, silent, new TimeoutException()));
              future.cancel(false);
            }
            return;
          }
          // Redis answered other commands meanwhile: the connection is alive and this command is
          // queued (in this process or behind others), not lost; give it another deadline
          slowAnswers.incrementAndGet();
          scheduleDeadline(what, future, out, judged, deadline, sent, now);
        };
    deadline.set(DEADLINES.schedule(check, timeoutNanos, TimeUnit.NANOSECONDS));
    if (future.isDone()) {
      java.util.concurrent.ScheduledFuture<?> d = deadline.getAndSet(null);
      if (d != null) {
        d.cancel(false);
      }
    }
  }

  /** One daemon thread for the deadlines of every store's asynchronous commands. */
  private static final java.util.concurrent.ScheduledThreadPoolExecutor DEADLINES = deadlines();

  private static java.util.concurrent.ScheduledThreadPoolExecutor deadlines() {
    java.util.concurrent.ScheduledThreadPoolExecutor t =
        new java.util.concurrent.ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread th = new Thread(r, "keybrake-redis-deadlines");
              th.setDaemon(true);
              return th;
            });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /** A new pub/sub connection with the same options; closed with this store at the latest. */
  StatefulRedisPubSubConnection<String, String> connectPubSub() {
    try {
      return client.connectPubSub();
    } catch (RuntimeException e) {
      throw new StoreUnavailableException("cannot open a Redis pub/sub connection", e);
    }
  }

  /** Where the circuit breaker stands (for metrics and tests). */
  public enum Circuit {
    /** Calls go to Redis. */
    CLOSED,
    /** Calls are refused at once until the cool-down ends. */
    OPEN,
    /** One probe call is out; others are refused. */
    HALF_OPEN
  }

  /** The breaker's position now. */
  public Circuit circuit() {
    return Circuit.valueOf(breaker.state().name());
  }

  /** Closes the connection and every pub/sub connection made from this store. */
  @Override
  public void close() {
    try {
      connection.close();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  /**
   * Counters must never be evicted: an evicted counter reads as zero and lets spend past its cap.
   * Warns unless Redis runs with {@code maxmemory-policy noeviction} (managed services that refuse
   * {@code CONFIG GET} are not checked).
   */
  private void warnUnlessNoEviction() {
    try {
      Map<String, String> policy =
          call("read maxmemory-policy", c -> c.configGet("maxmemory-policy"));
      String value = policy.get("maxmemory-policy");
      if (value != null && !"noeviction".equals(value)) {
        log.warn(
            "Redis maxmemory-policy is {}: set it to noeviction, or a full Redis may evict"
                + " spend counters",
            value);
      }
    } catch (StoreUnavailableException e) {
      log.debug("cannot read maxmemory-policy: {}", e.getMessage());
    }
  }

  private void loadScript(LuaScript s) {
    String sha = call("load script " + s.name(), c -> c.scriptLoad(s.source()));
    if (!s.sha1().equals(sha)) {
      throw new IllegalStateException("Redis knows script " + s.name() + " by another SHA-1");
    }
  }

  /**
   * Runs a command on a server whose ledger this connection has checked ({@link #verify}), and
   * gives its answer only if the connection did not drop meanwhile: a command sent around a
   * reconnect may have run on a new server (a promoted replica) before anyone checked it, so its
   * answer counts as lost ({@link AnswerLostException}: a reserve is compensated, a settle
   * retried). Returns null instead of throwing when {@code passNoScript} and Redis answered
   * NOSCRIPT.
   */
  private <T> T attempt(
      String what,
      Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command,
      boolean passNoScript) {
    long gen = generation.get();
    if (verified != gen) {
      verify(gen, what);
    }
    T value = send(what, command, passNoScript);
    if (generation.get() != gen) {
      throw new AnswerLostException(
          "the Redis connection dropped while " + what + " ran: its answer is not trusted", null);
    }
    return value;
  }

  /**
   * Runs {@code fence.lua} on the server the connection reaches now, once per connection
   * generation, before any other command: a ledger built on another server (the epoch names that
   * server's run id) may have missed acknowledged writes, so it is fenced (its marker dropped) and
   * every ledger script refuses until it is rebuilt here from the audit log.
   */
  private void verify(long gen, String what) {
    synchronized (verifying) {
      if (verified == gen) {
        return;
      }
      List<Object> out =
          send(
              "check the ledger's server before " + what,
              c ->
                  c.<List<Object>>eval(
                      Scripts.FENCE.source(),
                      ScriptOutputType.MULTI,
                      new String[] {RedisKeys.EPOCH}),
              false);
      if (generation.get() != gen) {
        throw new AnswerLostException(
            "the Redis connection dropped while checking its server: " + what, null);
      }
      String verdict = RedisLedger.str(out, 0);
      String runId = RedisLedger.str(out, 1);
      if ("fenced".equals(verdict)) {
        fenced.incrementAndGet();
        log.warn(
            "Redis server {} holds a ledger built on another server (a failover or a restart):"
                + " it may have missed the last writes, so the ledger is fenced and rebuilt from"
                + " the audit log before it serves",
            runId);
      } else if (!runId.equals(serverRunId) && !serverRunId.isEmpty()) {
        log.info("the ledger's Redis is now server {} ({})", runId, verdict);
      }
      serverRunId = runId;
      verified = gen;
    }
  }

  /**
   * How many times this store found a ledger built on another server and fenced it (for metrics and
   * tests).
   */
  public long fencedLedgers() {
    return fenced.get();
  }

  /** Returns null instead of throwing when {@code passNoScript} and Redis answered NOSCRIPT. */
  private <T> T send(
      String what,
      Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command,
      boolean passNoScript) {
    if (!breaker.allow()) {
      throw new StoreUnavailableException("Redis unavailable (circuit open): " + what);
    }
    if (!connection.isOpen()) {
      breaker.onFailure(); // evidence: the connection is down and reconnecting
      throw new StoreUnavailableException("Redis unavailable (not connected): " + what);
    }
    long sent = System.nanoTime();
    RedisFuture<T> future = null;
    try {
      future = command.apply(commands);
      future.whenComplete(
          (v, error) -> {
            if (error == null || error instanceof RedisCommandExecutionException) {
              answers.answered();
              latency.record(System.nanoTime() - sent);
            }
          });
      long windowStart = sent;
      while (true) {
        try {
          T value = future.get(timeoutNanos, TimeUnit.NANOSECONDS);
          breaker.onSuccess();
          return value;
        } catch (TimeoutException e) {
          if (future.isDone()) {
            return answerOf(future, what, passNoScript); // completed while this thread woke up
          }
          long now = System.nanoTime();
          boolean silent = !answers.answeredSince(windowStart);
          if (silent || now - sent >= timeoutNanos * MAX_DEADLINES) {
            future.cancel(false);
            throw deadlinePassed(what, silent, e);
          }
          // Redis answered other commands meanwhile: the connection is alive and this command is
          // queued (in this process or behind others), not lost; give it another deadline
          slowAnswers.incrementAndGet();
          windowStart = now;
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RedisNoScriptException && passNoScript) {
        breaker.onSuccess();
        return null;
      }
      if (cause instanceof RedisCommandExecutionException) {
        breaker.onSuccess(); // Redis answered, with an error: a fault, but not an outage
        throw new RefusedException("Redis refused " + what + ": " + cause.getMessage(), e);
      }
      if (cause instanceof RedisCommandTimeoutException) {
        throw deadlinePassed(what, !answers.answeredSince(sent), cause);
      }
      breaker.onFailure();
      throw new AnswerLostException("Redis unavailable: " + what + ": " + message(cause), cause);
    } catch (CancellationException e) {
      breaker.onFailure();
      throw new AnswerLostException("Redis command cancelled: " + what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (future != null) {
        future.cancel(false);
      }
      breaker.onAbandoned();
      throw new AnswerLostException("interrupted while waiting for Redis: " + what, e);
    } catch (RuntimeException e) {
      breaker.onFailure();
      throw new AnswerLostException("Redis unavailable: " + what + ": " + message(e), e);
    }
  }

  /** The value of a future known to be done, judged as {@link #attempt} judges one. */
  private <T> T answerOf(RedisFuture<T> future, String what, boolean passNoScript) {
    try {
      T value = future.get();
      breaker.onSuccess();
      return value;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RedisNoScriptException && passNoScript) {
        breaker.onSuccess();
        return null;
      }
      breaker.onSuccess();
      throw new RefusedException("Redis refused " + what + ": " + message(cause), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AnswerLostException("interrupted while reading Redis's answer: " + what, e);
    }
  }

  /**
   * A command passed its deadline. It counts against the breaker only when the connection was
   * silent (no answer to any command during the last deadline): Redis is unreachable. A command
   * that Redis kept answering others around is waited for up to {@link #MAX_DEADLINES} deadlines
   * before it is given up, without counting against the breaker.
   */
  private AnswerLostException deadlinePassed(String what, boolean silent, Throwable cause) {
    if (silent) {
      breaker.onFailure();
    }
    return new AnswerLostException(
        "Redis did not answer in "
            + settings.commandTimeout().toMillis()
            + " ms"
            + (silent ? "" : " (slow: it answered other commands meanwhile)")
            + ": "
            + what,
        cause);
  }

  /** Round trips of the commands this store ran, from sending to the answer. */
  public LatencyBuckets commandLatency() {
    return latency;
  }

  /**
   * Deadlines that passed while Redis answered other commands (slow or queued, not down): the
   * command was given another deadline.
   */
  public long slowAnswers() {
    return slowAnswers.get();
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
