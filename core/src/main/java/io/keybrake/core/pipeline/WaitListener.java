package io.keybrake.core.pipeline;

import java.time.Duration;

/**
 * Told before the pipeline blocks waiting for an in-flight duplicate, so the data plane can extend
 * its timeout (ext_proc {@code override_message_timeout}).
 */
@FunctionalInterface
public interface WaitListener {
  WaitListener NONE = upTo -> {};

  void waitingUpTo(Duration upTo);
}
