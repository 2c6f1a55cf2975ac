package io.keybrake.store.redis;

import io.keybrake.core.store.StoreUnavailableException;

/**
 * A command was (or may have been) sent, and its answer never reached the caller: the deadline
 * passed, or the connection was lost. Redis may have run it; a reservation made so must be
 * compensated ({@link Compensations}).
 */
final class AnswerLostException extends StoreUnavailableException {
  private static final long serialVersionUID = 1L;

  AnswerLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
