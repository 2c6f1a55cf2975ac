package io.keybrake.core.admission;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Helpers for the asynchronous store ports: unwrapping a stage's failure, turning a thrown
 * exception into a failed stage, a bounded wait, and the one process-wide executor for blocking
 * store work (a SQLite read, the forced write-ahead audit append) that must stay off a data plane's
 * event loop.
 */
public final class Stages {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private Stages() {}

  /** Set on a thread while it runs work for an event loop that must never block. */
  private static final ThreadLocal<Boolean> EVENT_LOOP = ThreadLocal.withInitial(() -> false);

  /**
   * Runs {@code work} with the calling thread marked as an event loop (Netty's, serving Envoy):
   * store work it starts is handed to the store's own threads instead of running here.
   */
  public static void onEventLoop(Runnable work) {
    boolean was = EVENT_LOOP.get();
    EVENT_LOOP.set(true);
    try {
      work.run();
    } finally {
      EVENT_LOOP.set(was);
    }
  }

  /**
   * Whether the calling thread may run blocking store work itself (not inside {@link
   * #onEventLoop}).
   */
  public static boolean mayBlock() {
    return !EVENT_LOOP.get();
  }

  /** A completed stage with no value. */
  public static CompletableFuture<Void> done() {
    return DONE;
  }

  /** The failure a stage completed with, without the {@link CompletionException} around it. */
  public static Throwable cause(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** Runs {@code work}; a runtime exception it throws becomes a failed stage. */
  public static <T> CompletionStage<T> call(Supplier<? extends CompletionStage<T>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Waits for {@code stage} in the calling thread and returns its value, rethrowing its failure as
   * it was (a {@link RuntimeException} or {@link Error} unwrapped). For callers that are allowed to
   * block (the admin API, tests); never on a data plane's event loop.
   */
  public static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      Throwable c = cause(e);
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /** A stage that completes normally after {@code delay} (on the JDK's shared delay scheduler). */
  public static CompletableFuture<Void> after(Duration delay) {
    return new CompletableFuture<Void>()
        .completeOnTimeout(null, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  private static final class Blocking {
    static final ThreadPoolExecutor POOL = pool();

    private static ThreadPoolExecutor pool() {
      AtomicInteger n = new AtomicInteger();
      ThreadPoolExecutor p =
          new ThreadPoolExecutor(
              0,
              BLOCKING_THREADS,
              30,
              TimeUnit.SECONDS,
              new SynchronousQueue<>(),
              r -> {
                Thread t = new Thread(r, "keybrake-blocking-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              },
              new ThreadPoolExecutor.CallerRunsPolicy());
      return p;
    }
  }

  /** Most threads of {@link #blocking()}. */
  static final int BLOCKING_THREADS = 256;

  /**
   * The process-wide executor for blocking store work: daemon threads that are never interrupted
   * (it is never shut down; a {@link java.nio.channels.FileChannel} written from it cannot be
   * closed by an interrupt). Threads start when work waits and end after 30 s idle, so it is small
   * unless a store is slow; past {@value #BLOCKING_THREADS} busy threads the caller runs the work
   * itself (back-pressure rather than an unbounded queue behind a stalled store).
   */
  public static Executor blocking() {
    return Blocking.POOL;
  }
}
