package io.keybrake.extproc.gateway;

import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.CyclicTimeouts;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * Every ext_proc stream's message deadline on one timer that is not woken for each message: a
 * deadline armed later than the earliest one already scheduled (the usual case, every message
 * having the same timeout) only joins the set that the timer looks through when it fires (Jetty's
 * {@link CyclicTimeouts}, which its HTTP client uses for request timeouts). A scheduled task per
 * message made the timer thread wake up, and the caller pay for waking it, several times per call.
 * Thread-safe.
 */
final class MessageDeadlines extends CyclicTimeouts<ExtProcCall> {
  /** The process's one instance, on one daemon timer thread. */
  static final MessageDeadlines SHARED = new MessageDeadlines(scheduler());

  private final Set<ExtProcCall> armed = ConcurrentHashMap.newKeySet();

  private MessageDeadlines(ScheduledExecutorScheduler scheduler) {
    super(scheduler);
  }

  /** Watches {@code call}'s deadline ({@link ExtProcCall#getExpireNanoTime}, just set). */
  void arm(ExtProcCall call) {
    armed.add(call);
    schedule(call);
  }

  /** Stops watching {@code call} (its answer came, or it ended). */
  void disarm(ExtProcCall call) {
    armed.remove(call);
  }

  @Override
  protected Iterator<ExtProcCall> iterator() {
    return armed.iterator();
  }

  @Override
  protected boolean onExpired(ExtProcCall call) {
    return call.expire();
  }

  private static ScheduledExecutorScheduler scheduler() {
    ScheduledExecutorScheduler s = new ScheduledExecutorScheduler("keybrake-gateway-timer", true);
    try {
      s.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the gateway's timer", e);
    }
    return s;
  }
}
