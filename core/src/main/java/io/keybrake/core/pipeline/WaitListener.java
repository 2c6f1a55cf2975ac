package io.keybrake.core.pipeline;

import java.time.Duration;

/**
 * Told before the pipeline waits for an in-flight duplicate (no thread is parked for it) or for a
 * vendor lookup, so the data plane can extend its timeout (ext_proc {@code
 * override_message_timeout}).
 */
@FunctionalInterface
public interface WaitListener {
  WaitListener NONE = upTo -> {};

  void waitingUpTo(Duration upTo);
}
